namespace HybridBuild.Testing.Artifactory;

/// <summary>How the test server authenticates and what it lets the user do.</summary>
public sealed record ArtifactoryTestServerOptions
{
    /// <summary>The access token accepted as <c>Authorization: Bearer</c>; null accepts no token.</summary>
    public string? AccessToken { get; init; } = "test-access-token";

    /// <summary>A user accepted with basic authentication; null accepts no basic credentials.</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>The local repositories that exist.</summary>
    public IReadOnlySet<string> Repositories { get; init; } = new HashSet<string> { "generic-local" };

    /// <summary>Repositories the user may read but not deploy to (403).</summary>
    public IReadOnlySet<string> ReadOnlyRepositories { get; init; } = new HashSet<string>();
}

/// <summary>An artifact as the server stores it.</summary>
public sealed record StoredArtifact(
    string Repository,
    string Path,
    byte[] Content,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Properties,
    string Sha1,
    string Sha256,
    string Md5,
    bool DeployedByChecksum);

/// <summary>One request as the server saw it.</summary>
public sealed record RecordedRequest(
    string Method,
    string RawTarget,
    string? Authorization,
    string? ChecksumSha1,
    string? ChecksumSha256,
    string? ChecksumDeploy,
    long BodyBytes,
    int Status);

/// <summary>A failure the server injects into the next requests, before looking at them.</summary>
public abstract record Fault
{
    /// <summary>Answer with this status and Artifactory's error body.</summary>
    public sealed record Status(int Code, string Message, TimeSpan? RetryAfter = null) : Fault;

    /// <summary>Read the request, then drop the connection without an answer.</summary>
    public sealed record DropConnection : Fault;

    /// <summary>Never answer; wait until the client gives up.</summary>
    public sealed record Stall : Fault;
}
