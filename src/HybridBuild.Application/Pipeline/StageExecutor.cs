using HybridBuild.Application.Telemetry;

namespace HybridBuild.Application.Pipeline;

/// <summary>What running a stage came to.</summary>
internal sealed record StageOutcome(StageStatus Status, string? Error, string? ImageDigest, IReadOnlyList<Artifact> Artifacts)
{
    /// <summary>A verification stage's container: its exit code and what ran it.</summary>
    public int? ExitCode { get; init; }
    public string? Runtime { get; init; }

    public static StageOutcome Succeeded(string? digest, IReadOnlyList<Artifact> artifacts) => new(StageStatus.Succeeded, null, digest, artifacts);
    // PostgreSQL text cannot hold NUL, and an engine's message may carry one from a build's output
    public static StageOutcome Failed(string error) => new(StageStatus.Failed, error.Replace('\0', '\uFFFD'), null, []);
    public static StageOutcome Cancelled(string reason) => new(StageStatus.Cancelled, reason, null, []);
    public static StageOutcome Expired(string reason) => new(StageStatus.Expired, reason, null, []);
}

/// <summary>Runs one stage in a scratch folder of its own (removed when it ends): source, inputs, BuildKit solve, artifacts.</summary>
internal sealed class StageExecutor(
    BuildDbContext db,
    BuildLifecycle builds,
    ISourceFetcher sources,
    InputPlacer inputs,
    BuilderPool builders,
    StageLifecycle stages,
    ArtifactCollector collector,
    UnreferencedBlobs unreferenced,
    BuildLog log,
    Secrets.SecretCipher cipher,
    ScratchSpace scratch,
    VerificationRun verification,
    IOptions<WorkerOptions> options,
    TimeProvider clock)
{
    /// <summary>
    /// Runs the stage. When every builder is full it waits for room, which counts against the stage's queue TTL (from when
    /// it was queued), not its timeout: <paramref name="restartTimeout"/> is called at each step of such a wait.
    /// </summary>
    public async Task<StageOutcome> ExecuteAsync(Stage stage, Guid runId, Action restartTimeout, CancellationToken cancellationToken)
    {
        var build = stage.Build!;
        if (stage.Run is not null) return await verification.ExecuteAsync(stage, runId, cancellationToken);
        var work = scratch.RunDirectory(runId);
        var context = Path.Combine(work, "context");
        var export = Path.Combine(work, "out");
        await using var sink = log.OpenSink(build.Id, stage.Name);
        // an engine that receives the export itself streams it into blob storage; the buildx engine writes it to `export`
        await using var streamed = stage.Output.Type.StoresArtifacts() ? collector.Stream(stage, unreferenced, sink) : null;
        try
        {
            Directory.CreateDirectory(work);
            var (commit, sourceProblem) = await FetchSourceAsync(build, context, sink, cancellationToken);
            if (sourceProblem is not null) return sourceProblem;
            await inputs.PlaceAsync(stage, context, sink, cancellationToken);
            if (!File.Exists(Path.Combine(context, build.Dockerfile)))
                return StageOutcome.Failed($"the context has no Dockerfile at '{build.Dockerfile}'");

            var secrets = await LoadSecretsAsync(stage, cancellationToken);
            if (secrets.Missing is { } missing) return StageOutcome.Failed(missing);
            var redactor = new Secrets.SecretRedactor(sink, secrets.Values.Values.Select(v => System.Text.Encoding.UTF8.GetString(v)));
            var request = new StageBuildRequest
            {
                ContextDirectory = context,
                Dockerfile = build.Dockerfile,
                Target = stage.Target,
                BuildArgs = Reproducibility.Reproductions.WithSourceDateEpoch(build, stage.BuildArgs, commit),
                Platforms = stage.Platforms,
                Output = stage.Output,
                OutputDirectory = export,
                ExportSink = streamed,
                Labels = new Dictionary<string, string>
                {
                    [EngineLabels.BuildId] = build.Id.ToString(),
                    [EngineLabels.Stage] = stage.Name,
                },
                Secrets = secrets.Values,
                Cache = stage.Cache,
            };
            StageBuildResult result;
            try
            {
                result = await SolveAsync(stage, runId, request, redactor, sink, restartTimeout, cancellationToken);
            }
            catch (NoBuilderRoomException e)
            {
                return StageOutcome.Expired($"expired: {e.Message} past its queue TTL of {Core.Specs.SpecRules.FormatDuration(QueueTtl(stage)!.Value)}");
            }
            if (!result.Succeeded) return StageOutcome.Failed(redactor.Redact(result.Error ?? "the build failed"));
            var artifacts = !stage.Output.Type.StoresArtifacts() ? []
                : result.ExportStreamed ? streamed!.Complete()
                : await collector.CollectAsync(stage, export, sink, cancellationToken);
            return StageOutcome.Succeeded(result.ImageDigest, artifacts);
        }
        finally
        {
            // what cannot be removed now is left to the sweep (ScratchSweep), which knows the folder by its run id
            ScratchSpace.Delete(work);
        }
    }

    /// <summary>
    /// Solves on a builder of the pool; a builder that stops answering (down, or gone mid-solve) is marked down and the
    /// solve runs again from the start on another one, until one answers or every builder has been tried.
    /// </summary>
    private async Task<StageBuildResult> SolveAsync(Stage stage, Guid runId, StageBuildRequest request, Secrets.SecretRedactor progress,
        LogSink sink, Action restartTimeout, CancellationToken cancellationToken)
    {
        var tried = new HashSet<string>(StringComparer.Ordinal);
        StageBuildResult? unreachable = null;
        var wait = new BuilderWait(sink.Note, stage.EnqueuedAt + QueueTtl(stage), restartTimeout)
        {
            Avoid = stage.Build!.ReproductionOf is { } original && builders.All.Count > 1
                ? await db.Stages.AsNoTracking().Where(s => s.BuildId == original && s.Name == stage.Name).Select(s => s.Builder).FirstOrDefaultAsync(cancellationToken)
                : null,
        };
        while (await builders.AcquireAsync(stage.Platforms, tried, wait, cancellationToken) is { } lease)
        {
            await using (lease)
            {
                var builder = lease.Builder;
                tried.Add(builder.Name);
                await stages.RecordBuilderAsync(stage.Id, runId, builder.Name, cancellationToken);
                if (builders.All.Count > 1) sink.Note($"solving on builder {builder.Name}");
                var meter = new CacheUseMeter(progress);
                var started = clock.GetTimestamp();
                StageBuildResult result;
                using (var solve = HybridBuildTelemetry.Source.StartActivity(HybridBuildTelemetry.Spans.Solve)
                    ?.SetTag(HybridBuildTelemetry.Tags.Builder, builder.Name).SetTag(HybridBuildTelemetry.Tags.Stage, stage.Name))
                {
                    if (request.ExportSink is StreamedExport receiving) receiving.Span = solve;
                    result = await builder.Engine.BuildAsync(request, meter, cancellationToken);
                    if (!result.Succeeded) solve?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, result.Error);
                }
                if (!result.Unreachable) await RecordCacheUseAsync(stage, runId, meter, clock.GetElapsedTime(started), sink, cancellationToken);
                if (!result.Unreachable || builders.All.Count == 1) return result;
                builders.MarkDown(builder.Name, result.Error ?? "it does not answer");
                sink.Note($"builder {builder.Name} does not answer ({result.Error}); the stage runs again on another builder");
                unreachable = result;
                if (request.OutputDirectory is { } export) ScratchSpace.Delete(export);
                if (request.ExportSink is StreamedExport streamed) await streamed.ReleaseAsync();
            }
        }
        return StageBuildResult.Failure($"no builder answers; the last one said: {unreachable?.Error}");
    }

    /// <summary>What the cache did, on the stage's record; only a report, so a database that does not answer now costs it, not the stage.</summary>
    private async Task RecordCacheUseAsync(Stage stage, Guid runId, CacheUseMeter meter, TimeSpan solveTime, LogSink sink, CancellationToken cancellationToken)
    {
        try
        {
            if (await meter.ConcludeAsync(db, solveTime, clock, cancellationToken) is { } use)
                await stages.RecordCacheUseAsync(stage.Id, runId, use, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException || e.InnerException is System.Data.Common.DbException)
        {
            sink.Note($"the stage's cache use was not recorded: {e.Message}");
        }
    }

    private TimeSpan? QueueTtl(Stage stage) => stage.QueueTtl ?? options.Value.QueueTtl;

    /// <summary>The stage's secrets, decrypted only now, for the engine; or why they cannot be had.</summary>
    private async Task<(Dictionary<string, byte[]> Values, string? Missing)> LoadSecretsAsync(Stage stage, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (stage.Secrets.Count == 0) return (values, null);
        var stored = await db.Secrets.AsNoTracking().Where(s => stage.Secrets.Contains(s.Name)).ToListAsync(cancellationToken);
        foreach (var name in stage.Secrets)
        {
            var secret = stored.FirstOrDefault(s => s.Name == name);
            if (secret is null) return (values, $"build secret '{name}' no longer exists (it was deleted after the build was submitted)");
            try
            {
                values[name] = cipher.Decrypt(name, secret.Ciphertext);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or InvalidOperationException)
            {
                return (values, $"build secret '{name}' cannot be decrypted with this node's Secrets:MasterKey");
            }
        }
        return (values, null);
    }

    /// <summary>Materialises the context; returns the checked-out commit of a git source (null otherwise), or why it failed.</summary>
    private async Task<(Core.Sources.GitCommit? Commit, StageOutcome? Problem)> FetchSourceAsync(Build build, string context, LogSink sink, CancellationToken cancellationToken)
    {
        try
        {
            sink.Note(build.SourceKind == SourceKind.Git
                ? $"fetching {Core.Specs.GitUrl.Redact(build.GitUrl!)} at {build.GitCommit ?? build.GitRef ?? "HEAD"}"
                : "extracting the uploaded context");
            var commit = await sources.FetchAsync(build, context, cancellationToken);
            if (commit is not null && build.GitCommit is null)
            {
                // the first stage to fetch pins the commit the ref resolved to; a stage that resolved the ref after it
                // moved builds the pinned commit instead, so every stage of the build builds the same tree
                var pinned = await builds.PinCommitAsync(build.Id, commit.Sha, cancellationToken);
                if (pinned != commit.Sha)
                {
                    sink.Note($"{build.GitRef ?? "HEAD"} has moved since this build's first stage fetched it; building {pinned}, as its other stages do");
                    ScratchSpace.Delete(context);
                    build.GitCommit = pinned;
                    commit = await sources.FetchAsync(build, context, cancellationToken);
                }
            }
            if (commit is not null) sink.Note($"checked out commit {commit.Sha}");
            return (commit, null);
        }
        catch (Exception e) when (e is SourceFetchException or InvalidContextException or PayloadTooLargeException)
        {
            return (null, StageOutcome.Failed(e.Message));
        }
    }
}
