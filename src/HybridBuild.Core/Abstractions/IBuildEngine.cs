namespace HybridBuild.Core.Abstractions;

/// <summary>Runs one stage as a BuildKit solve.</summary>
public interface IBuildEngine
{
    string Name { get; }

    /// <summary>Solves a stage. A build that BuildKit rejects is a failed result carrying BuildKit's message, not an exception.</summary>
    Task<StageBuildResult> BuildAsync(StageBuildRequest request, IBuildProgress progress, CancellationToken cancellationToken);

    /// <summary>Asks the engine whether it can build now; for the readiness probe.</summary>
    Task<EngineStatus> CheckAsync(CancellationToken cancellationToken);
}

public sealed record StageBuildRequest
{
    public required string ContextDirectory { get; init; }
    public required string Dockerfile { get; init; }
    public string? Target { get; init; }
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Platforms { get; init; } = [];
    public required StageOutput Output { get; init; }
    /// <summary>Where an artifacts output is written, by an engine that does not stream it to <see cref="ExportSink"/>.</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>
    /// Takes an artifacts output file by file as it arrives, from an engine that receives the export itself (the
    /// native one); such an engine then says so in <see cref="StageBuildResult.ExportStreamed"/> and writes nothing to
    /// <see cref="OutputDirectory"/>.
    /// </summary>
    public IExportSink? ExportSink { get; init; }
    /// <summary>Labels put on images the stage produces, so they can be found and cleaned up.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Build secrets by id (<c>RUN --mount=type=secret,id=...</c>); never logged, never stored with the build.</summary>
    public IReadOnlyDictionary<string, byte[]> Secrets { get; init; } = new Dictionary<string, byte[]>();
    /// <summary>Cache imports and exports, and what is built without cache.</summary>
    public StageCache Cache { get; init; } = new();

    /// <summary>Where an engine that does not stream an <c>oci</c> or <c>docker</c> output writes its tarball: <c>image.tar</c> in <see cref="OutputDirectory"/>.</summary>
    public string ImageTarballPath => Path.Combine(
        OutputDirectory ?? throw new ArgumentException("An oci or docker output needs an output directory."), StageOutput.ImageTarball);
}

public sealed record StageBuildResult(bool Succeeded, string? Error, string? ImageDigest)
{
    /// <summary>The daemon could not be reached (down, unreachable, gone mid-solve): the stage may run again on another builder.</summary>
    public bool Unreachable { get; init; }

    /// <summary>The artifacts went to <see cref="StageBuildRequest.ExportSink"/>, not to the output directory.</summary>
    public bool ExportStreamed { get; init; }

    public static StageBuildResult Success(string? digest) => new(true, null, digest);
    public static StageBuildResult Failure(string error) => new(false, error, null);
    public static StageBuildResult NotReached(string error) => new(false, error, null) { Unreachable = true };
}

/// <summary>What an engine says about itself: ready or not, a description, the platforms its workers build natively, and details.</summary>
public sealed record EngineStatus(bool Ready, string Description, IReadOnlyDictionary<string, object> Data)
{
    public IReadOnlyList<string> Platforms { get; init; } = [];
}

/// <summary>
/// One BuildKit daemon of the pool, with its engine: at most <see cref="MaxSolves"/> solves at once across all nodes,
/// and the platforms it builds (<see cref="Platforms"/> when configured, else what the daemon reports).
/// </summary>
public sealed record Builder(string Name, IBuildEngine Engine, int MaxSolves, IReadOnlyList<string> Platforms)
{
    /// <summary>The bound a recurring job prunes its build cache to; null when it is not pruned.</summary>
    public CacheLimit? Cache { get; init; }

    /// <summary>The Docker engine whose image store keeps the images it builds (where verification stages run them); null for a buildkitd.</summary>
    public string? DockerHost { get; init; }
}

/// <summary>The configured builders, in the order they were configured.</summary>
public interface IBuilders
{
    IReadOnlyList<Builder> All { get; }
}

/// <summary>
/// Takes a stage's artifacts as an engine receives them, file by file, with no copy on disk first. Paths are relative
/// and <c>/</c>-separated, already validated by the engine (clean, never through a link, within the export's limits);
/// the streams of a multi-platform export arrive concurrently. A stream opened and never completed is disposed (the
/// export failed or was cancelled).
/// </summary>
public interface IExportSink
{
    ValueTask<Stream> OpenFileAsync(string path, CancellationToken cancellationToken);

    /// <summary>All of the file's content is in <paramref name="content"/>, the stream <see cref="OpenFileAsync"/> gave; <paramref name="mode"/> its permission bits.</summary>
    ValueTask CompleteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken);

    /// <summary><paramref name="path"/> has the content of <paramref name="source"/>, completed earlier (a hard link).</summary>
    ValueTask LinkAsync(string path, string source, CancellationToken cancellationToken);

    /// <summary>A symbolic link, which has no content of its own to store.</summary>
    void SymbolicLink(string path, string target);
}

/// <summary>Receives a solve's progress as it happens.</summary>
public interface IBuildProgress
{
    void Step(StepEvent step);
    void Log(LogLine line);
}

/// <summary>A BuildKit vertex changed: started, completed, cached or failed.</summary>
public sealed record StepEvent(string Id, int Number, string Name, bool Cached, DateTimeOffset? Started, DateTimeOffset? Completed, string? Error);

/// <summary>One line of output, from a step (<see cref="StepId"/>) or from the engine itself.</summary>
public sealed record LogLine(string? StepId, int Stream, string Text, DateTimeOffset Time);
