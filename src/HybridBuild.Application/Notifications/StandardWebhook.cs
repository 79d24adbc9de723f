namespace HybridBuild.Application.Notifications;

/// <summary>
/// Signatures as the Standard Webhooks specification defines them: HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c>, keyed
/// with the base64-decoded part of a <c>whsec_</c> secret, sent as <c>webhook-signature: v1,{base64}</c>.
/// </summary>
public static class StandardWebhook
{
    public const string Prefix = "whsec_";
    public const string IdHeader = "webhook-id", TimestampHeader = "webhook-timestamp", SignatureHeader = "webhook-signature";

    /// <summary>The key of a <c>whsec_</c> secret: 24 to 64 bytes (the specification recommends 24 to 64).</summary>
    public static bool TryKey(string secret, out byte[] key)
    {
        key = [];
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var buffer = new byte[64];
        if (!Convert.TryFromBase64String(secret[Prefix.Length..], buffer, out var written) || written < 24) return false;
        key = buffer[..written];
        return true;
    }

    /// <summary>The <c>webhook-signature</c> header's value for a message.</summary>
    public static string Sign(byte[] key, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
}
