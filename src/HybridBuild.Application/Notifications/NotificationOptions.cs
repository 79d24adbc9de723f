namespace HybridBuild.Application.Notifications;

/// <summary>How the service reports back ("Notifications"): its public address, the webhook signing secret, and retries.</summary>
public sealed record NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>The service's address as receivers reach it (<c>https://builds.example.com</c>): a commit status links to the build there.</summary>
    public string? PublicUrl { get; init; }

    /// <summary>
    /// The Standard Webhooks secret every notification is signed with: <c>whsec_</c> and the base64 of 24 to 64 random bytes
    /// (<c>echo whsec_$(openssl rand -base64 32)</c>). Receivers verify with the same secret. Without it, builds with
    /// <c>notify</c> are refused.
    /// </summary>
    public string? SigningSecret { get; init; }

    /// <summary>A file holding <see cref="SigningSecret"/> (a mounted secret); wins over the value.</summary>
    public string? SigningSecretFile { get; init; }

    public string? ResolvedSigningSecret => Core.Configuration.SecretSetting.Resolve(SigningSecret, SigningSecretFile, "Notifications:SigningSecretFile")?.Trim();

    /// <summary>Attempts per notification before it is failed for good.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>The wait before the second attempt; each later wait doubles it (10 s, 20 s, … about 21 minutes in all for 8 attempts).</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one attempt may take, connection and answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The build's address in this service, for a commit status's target_url; null without <see cref="PublicUrl"/>.</summary>
    public string? BuildUrl(Guid buildId) => PublicUrl is { } root ? $"{root.TrimEnd('/')}/api/v1/builds/{buildId}" : null;

    /// <summary>The wait after the <paramref name="attempts"/>th failed attempt.</summary>
    public TimeSpan RetryDelay(int attempts) => FirstRetryDelay * Math.Pow(2, Math.Max(0, attempts - 1));

    // a record would print the secret
    public override string ToString() =>
        $"NotificationOptions {{ PublicUrl = {PublicUrl}, SigningSecret = {Core.Configuration.SecretSetting.Describe(SigningSecret, SigningSecretFile)}, MaxAttempts = {MaxAttempts} }}";
}
