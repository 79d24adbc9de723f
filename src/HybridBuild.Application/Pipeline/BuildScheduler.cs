namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Moves a build forward: queues stages whose dependencies succeeded, skips those that can no longer run, and
/// settles the build once every stage is done. Safe to call any number of times from any node: the lifecycles'
/// conditional updates let only one caller make each change.
/// </summary>
internal sealed partial class BuildScheduler(BuildDbContext db, BuildLifecycle builds, StageLifecycle stages,
    PublicationService publications, SecretService secrets, Reproducibility.Reproductions reproductions, ILogger<BuildScheduler> logger)
{
    public async Task AdvanceAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var cancelRequested = await builds.IsCancelRequestedAsync(buildId, cancellationToken);
        var all = await LoadStagesAsync(buildId, cancellationToken);
        if (cancelRequested)
        {
            // finishes a cancellation its request did not (the client went away, the node died midway)
            foreach (var stage in all.Where(s => s.Status == StageStatus.Queued))
                await stages.CancelQueuedAsync(stage, cancellationToken);
        }
        else
        {
            foreach (var stage in PipelinePlanner.Unreachable(all))
            {
                var failed = stage.Dependencies.First(d => all.Single(s => s.Name == d).Status != StageStatus.Succeeded);
                await stages.SkipAsync(stage, $"skipped: stage '{failed}' did not succeed", cancellationToken);
            }
            foreach (var stage in PipelinePlanner.Runnable(all))
                await stages.EnqueueAsync(stage.Id, cancellationToken);
        }
        await SettleAsync(buildId, cancellationToken);
    }

    /// <summary>
    /// Queues the first stages of a build just stored, from its stages as stored: nothing has moved them since (the build
    /// is not running, and every change is conditional, so a cancellation that came first makes the enqueue a no-op and
    /// settles the build itself). Spares the new build's path to its first solve the reads of <see cref="AdvanceAsync"/>.
    /// </summary>
    public async Task StartAsync(Build build, CancellationToken cancellationToken)
    {
        var first = PipelinePlanner.Runnable(build.Stages).ToList();
        if (first.Count == 0)
        {
            await AdvanceAsync(build.Id, cancellationToken);
            return;
        }
        foreach (var stage in first)
            await stages.EnqueueAsync(stage.Id, cancellationToken);
    }

    /// <summary>Asks a build to stop. Stages not yet started are skipped or cancelled; running ones are stopped by their worker.</summary>
    public async Task CancelAsync(Guid buildId, CancellationToken cancellationToken)
    {
        await builds.RequestCancelAsync(buildId, cancellationToken);
        // each stage decides from its own row, so a stage queued meanwhile is cancelled, not missed; stages queued
        // from now on are refused by the enqueue and claim conditions, which check the cancellation
        foreach (var stage in (await LoadStagesAsync(buildId, cancellationToken)).Where(s => s.Status == StageStatus.Queued))
            await stages.CancelQueuedAsync(stage, cancellationToken);
        await SettleAsync(buildId, cancellationToken);
    }

    /// <summary>
    /// Runs the failed, cancelled and skipped stages of a finished build again, as its next attempt under the same id;
    /// succeeded stages keep their outcome and artifacts, and their dependants build on them. The build and its stages
    /// are reset in one transaction, so a retry is either whole or not at all. A build that then succeeds gets its
    /// automatic publications once: no attempt before could have made them (only a success does, and a succeeded build
    /// cannot be retried), and their idempotency keys make a repeated settle return the same ones.
    /// </summary>
    /// <exception cref="Core.Errors.NotFoundException">No such build.</exception>
    /// <exception cref="Core.Errors.ConflictException">The build succeeded or has not finished, or another retry won.</exception>
    /// <exception cref="Core.Errors.ForbiddenException">A stage to run again mounts a secret <paramref name="caller"/> is not granted.</exception>
    public async Task RetryAsync(Guid buildId, Caller caller, CancellationToken cancellationToken)
    {
        // whoever retries runs the stages again, with the secrets they mount: the retrying caller needs the grants now,
        // not the submitter's of then (a grant may have been revoked, or the ref moved to what the retrying caller pushed)
        var toRunAgain = await db.Stages.AsNoTracking().Where(s => s.BuildId == buildId && StageLifecycle.RunsAgainOnRetry.Contains(s.Status))
            .ToListAsync(cancellationToken);
        if (await secrets.CheckGrantsAsync(toRunAgain, caller, cancellationToken) is { Count: > 0 } missing) throw new Core.Errors.SpecValidationException(missing);

        var strategy = db.Database.CreateExecutionStrategy();
        var (attempt, reports, again) = await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var (attempt, reports) = await builds.RetryAsync(buildId, cancellationToken);
            var again = await stages.ResetForRetryAsync(buildId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (attempt, reports, again);
        });
        await stages.LogRetriedAsync(buildId, attempt, again, cancellationToken);
        await builds.ReportRetriedAsync(reports);
        // if this node stops here, the reconciler advances the build: it is queued again, so unsettled
        await AdvanceAsync(buildId, cancellationToken);
    }

    private async Task SettleAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var cancelRequested = await builds.IsCancelRequestedAsync(buildId, cancellationToken);
        if (PipelinePlanner.Outcome(await LoadStagesAsync(buildId, cancellationToken), cancelRequested) is not { } status) return;
        // only the caller that settled the build follows it up
        if (await builds.SettleAsync(buildId, status, cancellationToken) is not { } mark) return;
        await FollowUpAsync(buildId, status, mark, cancellationToken);
    }

    /// <summary>
    /// What a build owes once it has settled: its automatic publications (a success), the verdict on the build it
    /// reproduces, and the reproduction it asked for (a success). Each is idempotent (the publications' keys, the verdict
    /// written again for the reproduction the original still names, a reproduction only while none is recorded), so the
    /// reconciler repeats this for a build whose node stopped before <paramref name="mark"/> went
    /// (<see cref="BuildLifecycle.ClaimFollowUpsAsync"/>).
    /// </summary>
    public async Task FollowUpAsync(Guid buildId, BuildStatus status, DateTimeOffset mark, CancellationToken cancellationToken)
    {
        if (status == BuildStatus.Succeeded) await PublishAsync(buildId, cancellationToken);
        await reproductions.ConcludeAsync(buildId, status, cancellationToken);
        if (status == BuildStatus.Succeeded
            && await db.Builds.AsNoTracking().AnyAsync(b => b.Id == buildId && b.Reproduce && b.Reproduction == null, cancellationToken))
        {
            try
            {
                await ReproduceAsync(buildId, caller: null, cancellationToken);
            }
            catch (ServiceException e)
            {
                LogReproduceRefused(buildId, e.Message);
            }
        }
        await builds.FollowedUpAsync(buildId, mark, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Build {BuildId} succeeded, but its reproduction was refused: {Reason}")]
    private partial void LogReproduceRefused(Guid buildId, string reason);

    /// <summary>Stores a reproduction of the build (<see cref="Reproducibility.Reproductions"/>) and starts it; returns it.</summary>
    public async Task<Build> ReproduceAsync(Guid buildId, Caller? caller, CancellationToken cancellationToken)
    {
        var rebuild = await reproductions.CreateAsync(buildId, caller, cancellationToken);
        // stored: it runs even if the caller has gone away meanwhile
        await StartAsync(rebuild, CancellationToken.None);
        return rebuild;
    }

    private async Task PublishAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var publish = await db.Builds.AsNoTracking().Where(b => b.Id == buildId).Select(b => b.Publish).FirstAsync(cancellationToken);
        for (var i = 0; i < publish.Count; i++)
        {
            try
            {
                await publications.CreateAsync(buildId, PublishRequest.From(publish[i]), PublicationService.AutomaticKey(buildId, i), cancellationToken);
            }
            catch (ServiceException e)
            {
                LogPublishRefused(buildId, i, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Build {BuildId} succeeded, but its publication {Index} was refused: {Reason}")]
    private partial void LogPublishRefused(Guid buildId, int index, string reason);

    private Task<List<Stage>> LoadStagesAsync(Guid buildId, CancellationToken cancellationToken) =>
        db.Stages.AsNoTracking().Where(s => s.BuildId == buildId).ToListAsync(cancellationToken);
}
