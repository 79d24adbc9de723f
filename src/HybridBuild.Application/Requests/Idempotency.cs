namespace HybridBuild.Application.Requests;

/// <summary>
/// The Idempotency-Key rules, for every resource that honours the header (builds, publications, deliveries): a key is
/// 1 to 255 visible ASCII characters; a repeat with the same request answers what the first one made; the same key
/// with another request is refused (422), never silently answered with the other request's result.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;

    /// <exception cref="BadRequestException">The key is empty, too long, or not visible ASCII.</exception>
    public static void CheckKey(string? key)
    {
        if (key is null) return;
        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < '!' or > '~'))
            throw new BadRequestException("bad-idempotency-key", "The Idempotency-Key header is not valid.",
                $"{Header} must be 1 to {MaxKeyLength} visible ASCII characters.", Header);
    }

    /// <summary>SHA-256 of a request as JSON: what tells a retry from another request under the same key.</summary>
    public static string Fingerprint<T>(T request) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, ApiJson.Options)));

    public static string Fingerprint(ReadOnlySpan<byte> request) => Convert.ToHexStringLower(SHA256.HashData(request));

    /// <summary>
    /// What an earlier request under <paramref name="key"/> made, when it is the same request; null when there was none.
    /// </summary>
    /// <exception cref="UnprocessableException">The key belongs to a different request.</exception>
    public static T? Replay<T>(T? earlier, Func<T, string?> fingerprintOf, string fingerprint, string key, Func<T, string> describe) where T : class
    {
        if (earlier is null || fingerprintOf(earlier) == fingerprint) return earlier;
        throw new UnprocessableException("idempotency-key-reused", "The idempotency key was used for another request.",
            $"{Header} '{key}' already belongs to {describe(earlier)}, made by a different request; use a new key for a new request.");
    }
}
