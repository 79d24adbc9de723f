namespace HybridBuild.Core.Domain;

/// <summary>
/// An API key. Only a hash of the key is kept: the key itself is shown once, when it is created.
/// </summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>SHA-256 of the whole key, hex. Keys are 256 random bits, so a plain hash is enough to make them unrecoverable.</summary>
    public string Hash { get; set; } = "";
    public List<string> Scopes { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>What a key may do. Admin may do everything.</summary>
public static class ApiScopes
{
    public const string BuildsRead = "builds:read";
    public const string BuildsWrite = "builds:write";
    public const string Publish = "publish";
    /// <summary>Reads /metrics: a key for a Prometheus scraper, which needs nothing else.</summary>
    public const string MetricsRead = "metrics:read";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [BuildsRead, BuildsWrite, Publish, MetricsRead, Admin];
}
