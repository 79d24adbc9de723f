namespace HybridBuild.Api.Contracts;

/// <summary>
/// A build as the API shows it. <c>pinned</c>: retention keeps it; <c>logTruncated</c>: its log reached Worker:MaxLogBytes
/// and later lines were dropped. <c>reproducible</c>: what its last reproduction found (null before one has ended, or when
/// it failed); <c>reproduction</c> has that reproduction's build and every artifact compared; <c>reproductionOf</c> is
/// set on a reproduction, naming the build it reproduces.
/// </summary>
public sealed record BuildResponse(
    Guid Id,
    BuildStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    bool CancelRequested,
    int Attempt,
    bool Pinned,
    bool LogTruncated,
    SourceResponse Source,
    string Dockerfile,
    IReadOnlyList<StageResponse> Stages,
    BuildLinks Links,
    bool Reproduce = false,
    bool? Reproducible = null,
    ReproductionResult? Reproduction = null,
    Guid? ReproductionOf = null)
{
    public static BuildResponse From(Build build, IReadOnlyCollection<Artifact>? artifacts = null)
    {
        var links = new BuildLinks(ApiLinks.Build(build.Id), ApiLinks.BuildLogs(build.Id), ApiLinks.BuildArtifacts(build.Id), ApiLinks.BuildCancel(build.Id),
            ApiLinks.BuildRetry(build.Id), ApiLinks.BuildPin(build.Id));
        var source = new SourceResponse(build.SourceKind,
            build.GitUrl is null ? null : GitUrl.Redact(build.GitUrl), build.GitRef, build.GitCommit, build.ContextSize);
        var stages = build.Stages.OrderBy(s => s.Ordinal).ThenBy(s => s.Matrix?.Index)
            .Select(s => StageResponse.From(build.Id, s, artifacts?.Where(a => a.StageId == s.Id).ToList()))
            .ToList();
        return new BuildResponse(build.Id, build.Status, build.CreatedAt, build.StartedAt, build.FinishedAt,
            build.CancelRequestedAt is not null, build.Attempt, build.Pinned, build.LogTruncated, source, build.Dockerfile, stages, links,
            build.Reproduce,
            build.Reproduction?.Status switch
            {
                ReproductionStatus.Reproducible => true,
                ReproductionStatus.NotReproducible => false,
                _ => null,
            },
            build.Reproduction, build.ReproductionOf);
    }
}

public sealed record BuildLinks(string Self, string Logs, string Artifacts, string Cancel, string Retry, string Pin);

public sealed record SourceResponse(SourceKind Kind, string? GitUrl, string? GitRef, string? GitCommit, long? ContextSize);

/// <summary>
/// A stage as the API shows it; <c>timeout</c> and <c>queueTtl</c> are the spec's, absent when the node's defaults apply;
/// <c>matrix</c> is present on the combinations a matrix stage expanded into; <c>cache</c> shows its cache settings
/// (buildx's form) and <c>cacheUse</c> what the cache did for its last solve.
/// </summary>
public sealed record StageResponse(
    string Name,
    string? Target,
    StageStatus Status,
    IReadOnlyList<string> Platforms,
    IReadOnlyDictionary<string, string> BuildArgs,
    IReadOnlyList<string> Needs,
    IReadOnlyList<StageInput> Inputs,
    StageOutputResponse Output,
    TimeSpan? Timeout,
    TimeSpan? QueueTtl,
    DateTimeOffset? QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationSeconds,
    string? Error,
    string? ImageDigest,
    int Attempts,
    string? Builder,
    StageMatrixResponse? Matrix,
    StageCacheResponse Cache,
    CacheUse? CacheUse,
    IReadOnlyList<ArtifactResponse>? Artifacts,
    StageRunResponse? Run = null)
{
    public static StageResponse From(Guid buildId, Stage stage, IReadOnlyCollection<Artifact>? artifacts) => new(
        stage.Name, stage.Target, stage.Status, stage.Platforms, stage.BuildArgs, stage.Needs, stage.Inputs,
        new StageOutputResponse(stage.Output.Type, stage.Output.Tags, stage.Output.Push, stage.Output.Attest),
        stage.Timeout, stage.QueueTtl, stage.EnqueuedAt, stage.StartedAt, stage.FinishedAt,
        stage is { StartedAt: { } started, FinishedAt: { } finished } ? Math.Round((finished - started).TotalSeconds, 3) : null,
        stage.Error, stage.ImageDigest, stage.Attempts, stage.Builder,
        stage.Matrix is { } matrix ? new StageMatrixResponse(matrix.Stage, matrix.Values) : null,
        new StageCacheResponse([.. stage.Cache.From.Select(e => e.ToString())], [.. stage.Cache.To.Select(e => e.ToString())],
            stage.Cache.NoCache, stage.Cache.NoCacheFilter),
        stage.CacheUse,
        artifacts?.OrderBy(a => a.Path, StringComparer.Ordinal).Select(a => ArtifactResponse.From(buildId, a)).ToList(),
        StageRunResponse.From(stage));
}

/// <summary>
/// A verification stage's container: the spec's <c>run</c> (its env by name only: the values may be secrets), then the
/// exit code it ended with and what ran it (<c>runtimeUsed</c>: the engine's runtime, or the WASI runtime of the helper image).
/// </summary>
public sealed record StageRunResponse(
    string Image,
    IReadOnlyList<string>? Command,
    IReadOnlyList<string> Env,
    TimeSpan? Timeout,
    int ExpectExitCode,
    bool Network,
    string? Runtime,
    int? ExitCode,
    string? RuntimeUsed)
{
    public static StageRunResponse? From(Stage stage) => stage.Run is not { } run ? null : new(
        run.Image, run.Command, [.. run.Env.Keys.Order(StringComparer.Ordinal)], run.Timeout, run.ExpectExitCode, run.Network, run.Runtime,
        stage.ExitCode, stage.Runtime);
}

/// <summary>The matrix stage of the spec a stage is a combination of, and the combination's axis values.</summary>
public sealed record StageMatrixResponse(string Stage, IReadOnlyDictionary<string, string> Values);

/// <summary>A stage's cache imports and exports as buildx writes them, and what it builds without cache.</summary>
public sealed record StageCacheResponse(IReadOnlyList<string> From, IReadOnlyList<string> To, bool NoCache, IReadOnlyList<string> NoCacheFilter);

/// <summary>A stage's output; <paramref name="Attest"/> is what BuildKit attests of it (null for nothing).</summary>
public sealed record StageOutputResponse(OutputType Type, IReadOnlyList<string> Tags, bool Push, StageAttestations? Attest);

public sealed record ArtifactResponse(string Stage, string Path, string? Platform, long Size, string Sha256, string Mode, string Href)
{
    public static ArtifactResponse From(Guid buildId, Artifact artifact) => new(
        artifact.StageName, artifact.Path, artifact.Platform, artifact.Size, artifact.Sha256,
        Convert.ToString(artifact.Mode, 8).PadLeft(4, '0'),
        ApiLinks.Artifact(buildId, artifact.StageName, artifact.Path));
}

public sealed record ArtifactManifest(Guid BuildId, IReadOnlyList<ArtifactResponse> Items);

public sealed record BuildPage(IReadOnlyList<BuildResponse> Items, int Page, int PageSize, int TotalCount);
