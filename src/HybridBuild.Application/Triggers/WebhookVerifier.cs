using System.Globalization;

namespace HybridBuild.Application.Triggers;

/// <summary>
/// Checks a delivery against the trigger's secret before anything else looks at it, always in constant time:
/// GitHub's X-Hub-Signature-256 (HMAC-SHA256 of the raw body), GitLab's X-Gitlab-Token, or the generic scheme,
/// an HMAC-SHA256 of "{timestamp}.{body}" in X-Hybridbuild-Signature with X-Hybridbuild-Timestamp within five minutes.
/// </summary>
internal static class WebhookVerifier
{
    public const string GenericSignature = "X-Hybridbuild-Signature";
    public const string GenericTimestamp = "X-Hybridbuild-Timestamp";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    /// <summary>Null when the delivery is authentic, else why not.</summary>
    public static string? Verify(TriggerProvider provider, byte[] secret, WebhookHeaders headers, byte[] body, DateTimeOffset now)
    {
        switch (provider)
        {
            case TriggerProvider.Github:
                return SignatureMatches(headers["X-Hub-Signature-256"], secret, body) ? null : "X-Hub-Signature-256 is missing or does not match";
            case TriggerProvider.Gitlab:
                var token = Encoding.UTF8.GetBytes(headers["X-Gitlab-Token"]);
                return token.Length > 0 && CryptographicOperations.FixedTimeEquals(token, secret) ? null : "X-Gitlab-Token is missing or does not match";
            default:
                var stamp = headers[GenericTimestamp];
                if (!long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                    || (now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799))).Duration() > Window)
                    return $"{GenericTimestamp} is missing or more than {Window.TotalMinutes} minutes away";
                return SignatureMatches(headers[GenericSignature], secret, SignedContent(provider, headers, body)) ? null : $"{GenericSignature} is missing or does not match";
        }
    }

    /// <summary>
    /// SHA-256 (lower-case hex) of what the signature covers: the body for GitHub and GitLab, "{timestamp}.{body}" for
    /// the generic scheme. A captured delivery sent again under a fresh delivery id has the same hash, so it is a duplicate;
    /// a generic sender that signs anew must also stamp anew, so its retries stay distinct while the window bounds replays.
    /// </summary>
    public static string ContentSha256(TriggerProvider provider, WebhookHeaders headers, byte[] body) =>
        Convert.ToHexStringLower(SHA256.HashData(SignedContent(provider, headers, body)));

    private static byte[] SignedContent(TriggerProvider provider, WebhookHeaders headers, byte[] body) =>
        provider is TriggerProvider.Github or TriggerProvider.Gitlab ? body : [.. Encoding.UTF8.GetBytes(headers[GenericTimestamp] + "."), .. body];

    private static bool SignatureMatches(string? header, byte[] secret, byte[] content)
    {
        if (header is null || !header.StartsWith("sha256=", StringComparison.Ordinal)) return false;
        byte[] given;
        try { given = Convert.FromHexString(header["sha256=".Length..]); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(secret, content));
    }
}
