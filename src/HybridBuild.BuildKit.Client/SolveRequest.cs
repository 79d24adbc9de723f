namespace HybridBuild.BuildKit.Client;

/// <summary>One Dockerfile build.</summary>
public sealed record SolveRequest
{
    /// <summary>The build context: a directory on this machine, sent to the daemon on demand.</summary>
    public required string ContextDirectory { get; init; }

    /// <summary>The directory holding the Dockerfile; null = <see cref="ContextDirectory"/>.</summary>
    public string? DockerfileDirectory { get; init; }

    /// <summary>The Dockerfile's path relative to <see cref="DockerfileDirectory"/>.</summary>
    public string DockerfileName { get; init; } = "Dockerfile";

    /// <summary>The stage to build; null = the last one.</summary>
    public string? Target { get; init; }

    /// <summary><c>--build-arg</c> values.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>Target platforms such as <c>linux/amd64</c>; empty = the daemon's own.</summary>
    public IReadOnlyList<string> Platforms { get; init; } = [];

    /// <summary>Labels for the resulting image.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Ignore the build cache for every stage.</summary>
    public bool NoCache { get; init; }

    /// <summary>Dockerfile stages to build without the cache (the others may use it); ignored with <see cref="NoCache"/>.</summary>
    public IReadOnlyList<string> NoCacheFilter { get; init; } = [];

    /// <summary>Where the solve may find cache (e.g. <c>registry</c> with <c>ref</c>).</summary>
    public IReadOnlyList<CacheTransfer> CacheImports { get; init; } = [];

    /// <summary>Where the solve writes its cache (e.g. <c>registry</c> with <c>ref</c> and <c>mode</c>, or <c>inline</c>).</summary>
    public IReadOnlyList<CacheTransfer> CacheExports { get; init; } = [];

    /// <summary>Secrets for <c>RUN --mount=type=secret,id=...</c>, by id. Never logged.</summary>
    public IReadOnlyDictionary<string, byte[]> Secrets { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>Registry credentials by host (Docker Hub is <c>registry-1.docker.io</c>); null or a null answer = anonymous.</summary>
    public Func<string, RegistryCredential?>? Credentials { get; init; }

    /// <summary>
    /// Names this context for the daemon's incremental transfer: the same key finds the previous upload and only
    /// changed files travel. Keep it stable per source and distinct between sources; null = a hash of the context path.
    /// </summary>
    public string? SharedKey { get; init; }

    /// <summary>
    /// Attestations the frontend adds, by kind (<c>provenance</c>, <c>sbom</c>) with BuildKit's parameters, e.g.
    /// <c>provenance</c> = <c>mode=max</c>, <c>sbom</c> = <c>generator=docker/buildkit-syft-scanner:stable-1</c>; sent as
    /// <c>attest:kind</c> frontend attributes.
    /// </summary>
    public IReadOnlyDictionary<string, string> Attestations { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the result goes; empty = build only (the cache keeps it).</summary>
    public IReadOnlyList<ExportRequest> Exports { get; init; } = [];
}

/// <summary>A cache import or export: BuildKit's type (<c>registry</c>, <c>inline</c>, …) and its attributes.</summary>
public sealed record CacheTransfer(string Type, IReadOnlyDictionary<string, string> Attributes);
