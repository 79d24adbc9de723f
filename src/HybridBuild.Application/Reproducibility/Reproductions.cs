using HybridBuild.Application.Secrets;

namespace HybridBuild.Application.Reproducibility;

/// <summary>
/// Reproductions: a succeeded build's artifact stages built again from the same source (a git build's pinned commit, a
/// copy of an uploaded or inline context) without cache and, in a pool, away from the builders of the first run, as a
/// build of its own (<see cref="Build.ReproductionOf"/>); once that build ends, every artifact of both is compared by
/// SHA-256 and the verdict is written on the original (<see cref="Build.Reproduction"/>). Publications, image and run
/// stages are not part of it (their dependants keep only the artifact stages they need).
/// </summary>
internal sealed partial class Reproductions(BuildDbContext db, IBlobStore blobs, SecretService secrets, TimeProvider clock, ILogger<Reproductions> logger)
{
    /// <summary>
    /// The stage's build arguments, with <c>SOURCE_DATE_EPOCH</c> at the commit's time for a git build that is a
    /// reproduction or asked for one (unless the stage sets it): timestamps BuildKit and reproducible toolchains write
    /// are then the same in both builds.
    /// </summary>
    public static IReadOnlyDictionary<string, string> WithSourceDateEpoch(Build build, Dictionary<string, string> buildArgs, Core.Sources.GitCommit? commit)
    {
        if (commit is null || (!build.Reproduce && build.ReproductionOf is null) || buildArgs.ContainsKey(SourceDateEpoch)) return buildArgs;
        return new Dictionary<string, string>(buildArgs, StringComparer.Ordinal)
        {
            [SourceDateEpoch] = commit.Time.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private const string SourceDateEpoch = "SOURCE_DATE_EPOCH";

    /// <summary>Stores the reproduction of <paramref name="originalId"/> as a queued build and returns it; the caller starts it.</summary>
    /// <param name="caller">Who asks (its grants must cover the stages' secrets); null for the build's own <c>reproduce</c>.</param>
    /// <exception cref="NotFoundException">No such build.</exception>
    /// <exception cref="ConflictException">The build has not succeeded, is itself a reproduction, has no artifact stage, or a reproduction of it runs.</exception>
    public async Task<Build> CreateAsync(Guid originalId, Caller? caller, CancellationToken cancellationToken)
    {
        var original = await db.Builds.AsNoTracking().Include(b => b.Stages).FirstOrDefaultAsync(b => b.Id == originalId, cancellationToken)
            ?? throw new NotFoundException($"There is no build {originalId}.");
        if (original.Status != BuildStatus.Succeeded)
            throw new ConflictException("not-reproducible", "Only a succeeded build can be reproduced.", $"Build {originalId} is {original.Status.ToString().ToLowerInvariant()}.");
        if (original.ReproductionOf is { } of)
            throw new ConflictException("not-reproducible", "A reproduction is not reproduced again.", $"Build {originalId} is a reproduction of build {of}; reproduce that one.");
        var stages = original.Stages.Where(s => s.Output.Type == OutputType.Artifacts && s.Run is null).OrderBy(s => s.Ordinal).ThenBy(s => s.Matrix?.Index).ToList();
        if (stages.Count == 0)
            throw new ConflictException("not-reproducible", "The build has no artifact stage.", $"Build {originalId} exports no artifacts: there is nothing to compare.");
        if (caller is not null && await secrets.CheckGrantsAsync(stages, caller, cancellationToken) is { Count: > 0 } missing)
            throw new SpecValidationException(missing);

        var rebuild = NewRebuild(original, stages);
        if (original.ContextKey is { } key)
        {
            rebuild.ContextKey = BlobKeys.Context(rebuild.Id, key.EndsWith(".gz", StringComparison.Ordinal));
            await using var context = await blobs.OpenReadAsync(key, cancellationToken)
                ?? throw new ConflictException("not-reproducible", "The build's context is gone.", $"The context of build {originalId} is no longer stored.");
            await blobs.PutAsync(rebuild.ContextKey, context, cancellationToken);
        }
        try
        {
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                // one reproduction at a time: the original's row is held while its state is read and set
                var current = await db.Builds.FromSql($"SELECT * FROM hybridbuild.builds WHERE \"Id\" = {originalId} FOR UPDATE")
                    .AsNoTracking().Select(b => b.Reproduction).FirstAsync(cancellationToken);
                if (current is { Status: ReproductionStatus.Running } running)
                    throw new ConflictException("reproduction-running", "A reproduction of the build is running.", $"Build {running.BuildId} reproduces build {originalId}; wait for it to end.");
                // the build's own reproduce is made once: a follow-up made again finds the first one's record
                if (caller is null && current is not null)
                    throw new ConflictException("reproduction-made", "The build has been reproduced.", $"Build {current.BuildId} reproduced build {originalId}.");
                db.Builds.Add(rebuild);
                await db.SaveChangesAsync(cancellationToken);
                var started = new ReproductionResult { BuildId = rebuild.Id, Status = ReproductionStatus.Running };
                await db.Builds.Where(b => b.Id == originalId).ExecuteUpdateAsync(u => u.SetProperty(b => b.Reproduction, started), cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            });
        }
        catch
        {
            if (rebuild.ContextKey is not null) await blobs.DeleteAsync(rebuild.ContextKey, CancellationToken.None);
            throw;
        }
        LogCreated(rebuild.Id, originalId);
        return rebuild;
    }

    private Build NewRebuild(Build original, List<Stage> stages)
    {
        var names = stages.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var rebuild = new Build
        {
            Id = Guid.CreateVersion7(),
            Status = BuildStatus.Queued,
            CreatedAt = clock.GetUtcNow(),
            Dockerfile = original.Dockerfile,
            SourceKind = original.SourceKind,
            GitUrl = original.GitUrl,
            // the tree the original built, whatever its ref points at now
            GitRef = original.GitCommit ?? original.GitRef,
            GitCommit = original.GitCommit,
            ContextSize = original.ContextSize,
            ReproductionOf = original.Id,
        };
        foreach (var stage in stages)
            rebuild.Stages.Add(new Stage
            {
                Id = Guid.CreateVersion7(),
                BuildId = rebuild.Id,
                Status = StageStatus.Queued,
                Ordinal = stage.Ordinal,
                Name = stage.Name,
                Target = stage.Target,
                BuildArgs = new Dictionary<string, string>(stage.BuildArgs, StringComparer.Ordinal),
                Platforms = [.. stage.Platforms],
                // inputs come from artifact stages, all rebuilt; a need of a stage left out was met by the original
                Needs = [.. stage.Needs.Where(names.Contains)],
                Inputs = [.. stage.Inputs],
                Output = stage.Output,
                Secrets = [.. stage.Secrets],
                Timeout = stage.Timeout,
                QueueTtl = stage.QueueTtl,
                Matrix = stage.Matrix,
                // built afresh, and nothing read from or written to a registry's cache
                Cache = new StageCache { NoCache = true },
            });
        return rebuild;
    }

    /// <summary>A reproduction ended: compares its artifacts with the original's and writes the verdict on the original.</summary>
    public async Task ConcludeAsync(Guid rebuildId, BuildStatus status, CancellationToken cancellationToken)
    {
        if (await db.Builds.AsNoTracking().Where(b => b.Id == rebuildId).Select(b => b.ReproductionOf).FirstOrDefaultAsync(cancellationToken) is not { } originalId)
            return;
        ReproductionResult result;
        if (status != BuildStatus.Succeeded)
            result = new ReproductionResult
            {
                BuildId = rebuildId, Status = ReproductionStatus.Failed, ComparedAt = clock.GetUtcNow(),
                Error = $"the reproduction {status.ToString().ToLowerInvariant()}: see build {rebuildId}",
            };
        else
            result = await CompareAsync(originalId, rebuildId, cancellationToken);
        // only while the original still names this reproduction: a verdict written again after a later one started must not replace it
        var written = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var current = await db.Builds.FromSql($"SELECT * FROM hybridbuild.builds WHERE \"Id\" = {originalId} FOR UPDATE")
                .AsNoTracking().Select(b => b.Reproduction).FirstOrDefaultAsync(cancellationToken);
            if (current?.BuildId != rebuildId) return false;
            await db.Builds.Where(b => b.Id == originalId).ExecuteUpdateAsync(u => u.SetProperty(b => b.Reproduction, result), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        });
        if (written) LogConcluded(originalId, result.Status, result.Identical.Count, result.Differing.Count);
    }

    private async Task<ReproductionResult> CompareAsync(Guid originalId, Guid rebuildId, CancellationToken cancellationToken)
    {
        var rebuilt = await db.Stages.AsNoTracking().Where(s => s.BuildId == rebuildId).Select(s => s.Name).ToListAsync(cancellationToken);
        var artifacts = await db.Artifacts.AsNoTracking()
            .Where(a => (a.BuildId == originalId && rebuilt.Contains(a.StageName)) || a.BuildId == rebuildId)
            .Select(a => new { a.BuildId, a.StageName, a.Path, a.Sha256 }).ToListAsync(cancellationToken);
        var original = artifacts.Where(a => a.BuildId == originalId).ToDictionary(a => (a.StageName, a.Path), a => a.Sha256);
        var again = artifacts.Where(a => a.BuildId == rebuildId).ToDictionary(a => (a.StageName, a.Path), a => a.Sha256);
        var compared = original.Keys.Union(again.Keys).Order()
            .Select(k => new ArtifactComparison(k.StageName, k.Path, original.GetValueOrDefault(k), again.GetValueOrDefault(k))).ToList();
        var identical = compared.Where(c => c.Original is not null && c.Original == c.Reproduced).ToList();
        var differing = compared.Except(identical).ToList();
        return new ReproductionResult
        {
            BuildId = rebuildId, Status = differing.Count == 0 ? ReproductionStatus.Reproducible : ReproductionStatus.NotReproducible,
            Identical = identical, Differing = differing, ComparedAt = clock.GetUtcNow(),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Build {RebuildId} reproduces build {OriginalId}")]
    private partial void LogCreated(Guid rebuildId, Guid originalId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Build {OriginalId}: {Status}, {Identical} identical and {Differing} differing artifacts")]
    private partial void LogConcluded(Guid originalId, ReproductionStatus status, int identical, int differing);
}
