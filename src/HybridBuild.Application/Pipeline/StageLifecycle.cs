namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Every state change of a stage, each one conditional update whose condition is the state it leaves, so any number
/// of callers on any number of nodes can race and exactly one wins. Each change that a person sees is also written
/// to the build's log here, and nowhere else.
/// </summary>
internal sealed class StageLifecycle(BuildDbContext db, IDbContextFactory<BuildDbContext> contexts, Leases leases, IJobDispatcher jobs, BuildLog log,
    IBlobStore blobs, NodeIdentity node, Jobs.LocalStages local, IOptions<WorkerOptions> options, TimeProvider clock)
{
    public const string CancelledBeforeStart = "cancelled before it started";
    public const string CancelledWhileRunning = "cancelled while running";

    /// <summary>The outcomes a retry runs again; a succeeded stage keeps its outcome and artifacts.</summary>
    public static readonly StageStatus[] RunsAgainOnRetry = [StageStatus.Failed, StageStatus.Cancelled, StageStatus.Skipped, StageStatus.Expired];

    /// <summary>The error of a stage stopped at its timeout; with <paramref name="grace"/>, one whose run did not stop within it either.</summary>
    public static string TimedOut(TimeSpan timeout, TimeSpan? grace) =>
        $"timed out after {Core.Specs.SpecRules.FormatDuration(timeout)}"
        + (grace is { } g ? $", and the stage did not stop within {Core.Specs.SpecRules.FormatDuration(g)} of being cancelled" : "");

    /// <summary>Queued, not yet handed to the transport, build not cancelled: hands it to the transport once.</summary>
    public async Task EnqueueAsync(Guid stageId, CancellationToken cancellationToken)
    {
        var claimed = await db.Stages
            .Where(s => s.Id == stageId && s.Status == StageStatus.Queued && s.EnqueuedAt == null && s.Build!.CancelRequestedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EnqueuedAt, clock.GetUtcNow()), cancellationToken);
        if (claimed == 1) await DispatchAsync(stageId, cancellationToken);
    }

    /// <summary>Queued → running under <paramref name="runId"/> on this node.</summary>
    public async Task<bool> ClaimAsync(Guid stageId, Guid runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claimed = await db.Stages
            .Where(s => s.Id == stageId && s.Status == StageStatus.Queued && s.Build!.CancelRequestedAt == null)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, StageStatus.Running).SetProperty(s => s.RunId, runId).SetProperty(s => s.NodeId, node.Id)
                .SetProperty(s => s.StartedAt, now).SetProperty(s => s.HeartbeatAt, now)
                .SetProperty(s => s.Attempts, s => s.Attempts + 1).SetProperty(s => s.Error, (string?)null), cancellationToken);
        return claimed == 1;
    }

    /// <summary>
    /// Renews the run's lease (when <paramref name="renew"/>) and says whether the run still holds the stage and whether
    /// its build is to be cancelled. Its own context: it runs beside the run, which uses the job's.
    /// </summary>
    public async Task<LeaseState> HeartbeatAsync(Guid stageId, Guid runId, bool renew, CancellationToken cancellationToken)
    {
        await using var own = await contexts.CreateDbContextAsync(cancellationToken);
        if (await own.Stages.AnyAsync(s => s.Id == stageId && s.Build!.CancelRequestedAt != null, cancellationToken)) return LeaseState.Cancelled;
        return await leases.ReportAsync(c => c.Stages.Where(s => s.Id == stageId && s.RunId == runId && s.Status == StageStatus.Running), renew, cancellationToken);
    }

    /// <summary>Running → queued: the run stops without an outcome (its node is shutting down), so the job's next delivery runs it again.</summary>
    public Task ReleaseAsync(Guid stageId, Guid runId) =>
        db.Stages.Where(s => s.Id == stageId && s.RunId == runId && s.Status == StageStatus.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Queued).SetProperty(s => s.RunId, (Guid?)null)
                .SetProperty(s => s.NodeId, (Guid?)null).SetProperty(s => s.EnqueuedAt, clock.GetUtcNow()), CancellationToken.None);

    /// <summary>
    /// Running → the outcome; a successful stage's artifacts become visible in the same transaction. False when the lease was lost.
    /// The artifacts' blobs may be shared with another build that is being deleted: under each blob's <see cref="BlobLock"/>
    /// the blob must still be stored, else the stage fails (its export is gone by now, so the blob cannot be written again).
    /// </summary>
    public async Task<bool> CompleteAsync(Stage stage, Guid runId, StageOutcome outcome)
    {
        // a context of its own: a run that did not stop at its timeout may still be using the job's
        await using var own = await contexts.CreateDbContextAsync(CancellationToken.None);
        var recorded = outcome;
        var completed = await own.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            own.ChangeTracker.Clear();
            await using var transaction = await own.Database.BeginTransactionAsync();
            recorded = await MissingBlobAsync(own, outcome.Artifacts) is { } missing
                ? StageOutcome.Failed($"the stored content of artifact {missing.Path} was removed by a build deletion at the same time; retry the build")
                : outcome;
            var updated = await own.Stages.Where(s => s.Id == stage.Id && s.RunId == runId && s.Status == StageStatus.Running)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, recorded.Status).SetProperty(s => s.FinishedAt, clock.GetUtcNow())
                    .SetProperty(s => s.Error, recorded.Error).SetProperty(s => s.ImageDigest, recorded.ImageDigest).SetProperty(s => s.NodeId, (Guid?)null)
                    .SetProperty(s => s.ExitCode, recorded.ExitCode).SetProperty(s => s.Runtime, recorded.Runtime));
            if (updated == 0) return false; // another run owns the stage now
            if (recorded.Artifacts.Count > 0)
            {
                own.Artifacts.AddRange(recorded.Artifacts);
                await own.SaveChangesAsync();
            }
            await transaction.CommitAsync();
            return true;
        });
        // the outcome is committed: its log line waits out an outage on its own, so a retry of the commit (which finds the
        // stage finished) cannot lose it
        if (completed)
            await DatabaseOutage.RideOutAsync(ct => log.StageAsync(stage.BuildId, stage.Name, recorded.Status, recorded.Error, ct),
                options.Value.LeaseTimeout, onRetry: null, CancellationToken.None);
        return completed;
    }

    /// <summary>
    /// Takes the blob locks of every artifact (in bucket order, so two stages sharing blobs cannot deadlock) and returns the
    /// first whose blob is no longer stored. The locks are held until the caller's transaction ends.
    /// </summary>
    private async Task<Artifact?> MissingBlobAsync(BuildDbContext context, IReadOnlyList<Artifact> artifacts)
    {
        var keys = artifacts.Select(a => a.BlobKey).Distinct(StringComparer.Ordinal).ToList();
        await BlobLock.HoldAsync(context, keys, CancellationToken.None);
        foreach (var key in keys)
            if (await blobs.GetInfoAsync(key, CancellationToken.None) is null) return artifacts.First(a => a.BlobKey == key);
        return null;
    }

    /// <summary>
    /// Failed, cancelled, skipped or expired → queued, never handed out, for the next attempt of a retried build. The run's
    /// traces go (times, error, job, run, node), and so does its count of runs: <see cref="WorkerOptions.MaxAttempts"/>
    /// bounds the runs of one attempt of the build, not of all its attempts. Artifact records of those stages are removed
    /// too: a stage that did not succeed never committed any, and a leftover one would clash with the new run's.
    /// Call it inside the transaction of <see cref="BuildLifecycle.RetryAsync"/>.
    /// </summary>
    /// <returns>The stages reset, as they were, for the log.</returns>
    public async Task<List<Stage>> ResetForRetryAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var again = await db.Stages.AsNoTracking().Where(s => s.BuildId == buildId && RunsAgainOnRetry.Contains(s.Status)).ToListAsync(cancellationToken);
        var ids = again.Select(s => s.Id).ToList();
        await db.Artifacts.Where(a => ids.Contains(a.StageId)).ExecuteDeleteAsync(cancellationToken);
        await db.Stages.Where(s => ids.Contains(s.Id) && RunsAgainOnRetry.Contains(s.Status))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Queued)
                .SetProperty(s => s.EnqueuedAt, (DateTimeOffset?)null).SetProperty(s => s.StartedAt, (DateTimeOffset?)null)
                .SetProperty(s => s.FinishedAt, (DateTimeOffset?)null).SetProperty(s => s.HeartbeatAt, (DateTimeOffset?)null)
                .SetProperty(s => s.Error, (string?)null).SetProperty(s => s.ImageDigest, (string?)null).SetProperty(s => s.Builder, (string?)null)
                .SetProperty(s => s.ExitCode, (int?)null).SetProperty(s => s.Runtime, (string?)null)
                .SetProperty(s => s.JobId, (string?)null).SetProperty(s => s.RunId, (Guid?)null).SetProperty(s => s.NodeId, (Guid?)null)
                .SetProperty(s => s.Attempts, 0), cancellationToken);
        return again;
    }

    /// <summary>Writes to each reset stage's log that it runs again, and how the attempt before left it.</summary>
    public async Task LogRetriedAsync(Guid buildId, int attempt, IReadOnlyList<Stage> again, CancellationToken cancellationToken)
    {
        foreach (var stage in again)
        {
            var before = stage.Status.ToString().ToLowerInvariant();
            await log.NoteAsync(buildId, stage.Name,
                $"==> attempt {attempt}: stage {stage.Name} runs again (attempt {attempt - 1} left it {before}{(stage.Error is null ? "" : $": {stage.Error}")})",
                cancellationToken);
        }
    }

    /// <summary>Deletes the stages of a build that is being deleted, with their artifact records and the build's log (inside its transaction).</summary>
    public async Task DeleteOfBuildAsync(Guid buildId, CancellationToken cancellationToken)
    {
        await db.LogEvents.Where(e => e.BuildId == buildId).ExecuteDeleteAsync(cancellationToken);
        await db.Artifacts.Where(a => a.BuildId == buildId).ExecuteDeleteAsync(cancellationToken);
        await db.Stages.Where(s => s.BuildId == buildId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>A queued stage of a cancelled build: never handed out → skipped; handed out → cancelled. Withdraws its job.</summary>
    public async Task CancelQueuedAsync(Stage stage, CancellationToken cancellationToken)
    {
        var ended = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued && s.Build!.CancelRequestedAt != null)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, s => s.EnqueuedAt == null ? StageStatus.Skipped : StageStatus.Cancelled)
                .SetProperty(s => s.Error, s => s.EnqueuedAt == null ? "skipped: the build was cancelled" : CancelledBeforeStart)
                .SetProperty(s => s.FinishedAt, clock.GetUtcNow()), cancellationToken);
        if (ended == 0) return; // a worker claimed it first: it sees the cancellation and stops
        var after = await db.Stages.AsNoTracking().Where(s => s.Id == stage.Id).Select(s => new { s.Status, s.Error, s.JobId }).FirstAsync(cancellationToken);
        await log.StageAsync(stage.BuildId, stage.Name, after.Status, after.Error, cancellationToken);
        if (after.JobId is not null) jobs.Withdraw(after.JobId);
    }

    /// <summary>Queued and never handed out, but a stage it needs did not succeed → skipped.</summary>
    public async Task SkipAsync(Stage stage, string reason, CancellationToken cancellationToken)
    {
        var skipped = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued && s.EnqueuedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Skipped)
                .SetProperty(s => s.FinishedAt, clock.GetUtcNow()).SetProperty(s => s.Error, reason), cancellationToken);
        if (skipped == 1) await log.StageAsync(stage.BuildId, stage.Name, StageStatus.Skipped, reason, cancellationToken);
    }

    /// <summary>
    /// Queued and handed to the transport longer ago than its queue TTL (the spec's <c>queueTtl</c>, else Worker:QueueTtl)
    /// with no worker claiming it, build not cancelled → expired. False when it has no TTL, is within it, or left the queue
    /// meanwhile (a worker claimed it, its build was cancelled). Its job stays with the transport: a worker that takes it
    /// later finds the stage finished and does nothing.
    /// </summary>
    public async Task<bool> ExpireAsync(Stage stage, CancellationToken cancellationToken)
    {
        if (QueueTtl(stage) is not { } ttl) return false;
        var now = clock.GetUtcNow();
        var queuedBefore = now - ttl;
        if (stage.EnqueuedAt is not { } enqueued || enqueued >= queuedBefore) return false;
        var error = $"expired: no worker took the stage within its queue TTL of {Core.Specs.SpecRules.FormatDuration(ttl)}";
        var expired = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued && s.EnqueuedAt != null
                && s.EnqueuedAt < queuedBefore && s.Build!.CancelRequestedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Expired)
                .SetProperty(s => s.FinishedAt, now).SetProperty(s => s.Error, error), cancellationToken);
        if (expired == 1) await log.StageAsync(stage.BuildId, stage.Name, StageStatus.Expired, error, cancellationToken);
        return expired == 1;
    }

    /// <summary>Queued stages handed to the transport that may be past their queue TTL: the reconciler expires them (<see cref="ExpireAsync"/> decides).</summary>
    public async Task<List<Stage>> OverdueAsync(CancellationToken cancellationToken)
    {
        var anyTtl = options.Value.QueueTtl is not null;
        var queued = await db.Stages.AsNoTracking()
            .Where(s => s.Status == StageStatus.Queued && s.EnqueuedAt != null && (anyTtl || s.QueueTtl != null) && s.Build!.CancelRequestedAt == null)
            .ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return [.. queued.Where(s => QueueTtl(s) is { } ttl && s.EnqueuedAt < now - ttl)];
    }

    private TimeSpan? QueueTtl(Stage stage) => stage.QueueTtl ?? options.Value.QueueTtl;

    /// <summary>Stages whose run is gone: its node stopped reporting, or the run itself did not report for a whole lease.</summary>
    public Task<List<Stage>> AbandonedAsync(CancellationToken cancellationToken) =>
        leases.AbandonedAsync(db.Stages.Include(s => s.Build).Where(s => s.Status == StageStatus.Running), cancellationToken);

    /// <summary>Stages handed to the transport a while ago and still queued: the reconciler asks the transport whether their job is lost.</summary>
    public Task<List<Stage>> WaitingAsync(CancellationToken cancellationToken)
    {
        var settled = leases.WaitedSince;
        return db.Stages.AsNoTracking().Include(s => s.Build)
            .Where(s => s.Status == StageStatus.Queued && s.EnqueuedAt != null && s.EnqueuedAt < settled).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// An abandoned run: cancelled if its build was, failed after <see cref="WorkerOptions.MaxAttempts"/> tries, else queued
    /// again with a new job. The condition is the run that was seen, so a run that reports meanwhile keeps its stage.
    /// </summary>
    public async Task RecoverAsync(Stage stage, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxAttempts;
        var (status, error) = stage.Build!.CancelRequestedAt is not null ? (StageStatus.Cancelled, "cancelled; its worker had stopped")
            : stage.Attempts >= max ? (StageStatus.Failed, $"the stage lost its worker {max} times")
            : (StageStatus.Queued, (string?)null);
        var now = clock.GetUtcNow();
        var changed = await leases.EndAbandonedRunAsync(db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Running), stage,
            u => u.SetProperty(s => s.Status, status).SetProperty(s => s.Error, error).SetProperty(s => s.EnqueuedAt, now)
                .SetProperty(s => s.FinishedAt, status == StageStatus.Queued ? null : now), cancellationToken);
        if (!changed) return;
        if (status == StageStatus.Queued) await DispatchAsync(stage.Id, cancellationToken);
        else await log.StageAsync(stage.BuildId, stage.Name, status, error, cancellationToken);
    }

    /// <summary>Records the builder a run of the stage solves on (while that run holds the stage).</summary>
    public async Task RecordBuilderAsync(Guid stageId, Guid runId, string builder, CancellationToken cancellationToken) =>
        await db.Stages.Where(s => s.Id == stageId && s.RunId == runId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Builder, builder), cancellationToken);

    /// <summary>Records what the cache did for the solve of the run that holds the stage.</summary>
    public async Task RecordCacheUseAsync(Guid stageId, Guid runId, CacheUse use, CancellationToken cancellationToken) =>
        await db.Stages.Where(s => s.Id == stageId && s.RunId == runId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.CacheUse, use), cancellationToken);

    /// <summary>
    /// Queued, and its job delivered to a node whose slots are all taken by stages it started itself: a new job takes the
    /// stage to a node with room (this one too, once a slot frees). The queue TTL still counts from when it was queued.
    /// </summary>
    public async Task HandBackAsync(Stage stage, CancellationToken cancellationToken)
    {
        var jobId = jobs.Dispatch(JobKind.Stage, stage.Id);
        var recorded = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued && s.JobId == stage.JobId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.JobId, jobId), cancellationToken);
        if (recorded == 0) jobs.Withdraw(jobId); // claimed, cancelled or handed on meanwhile: the new job has nothing to do
    }

    /// <summary>A queued stage whose job is lost: cancelled if its build was, else handed to the transport again.</summary>
    public async Task RequeueAsync(Stage stage, CancellationToken cancellationToken)
    {
        if (stage.Build!.CancelRequestedAt is not null)
        {
            await CancelQueuedAsync(stage, cancellationToken);
            return;
        }
        var taken = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued && s.JobId == stage.JobId)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EnqueuedAt, clock.GetUtcNow()), cancellationToken);
        if (taken == 1) await DispatchAsync(stage.Id, cancellationToken);
    }

    /// <summary>
    /// On a worker node with a free slot, starts the stage here at once; and hands it to the transport all the same, which
    /// delivers it when it was not started here (or the run here stopped without an outcome), and records the job. The
    /// job is recorded on a stage the run here has claimed meanwhile too: one handed back to the queue needs it. A stage
    /// not started here is offered to the other worker nodes, the first with a free slot starts it.
    /// </summary>
    private async Task DispatchAsync(Guid stageId, CancellationToken cancellationToken)
    {
        var here = local.Offer(stageId);
        var jobId = jobs.Dispatch(JobKind.Stage, stageId);
        await db.Stages.Where(s => s.Id == stageId && (s.Status == StageStatus.Queued || s.Status == StageStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.JobId, jobId), cancellationToken);
        if (here) return;
        try
        {
            await Nodes.NodeNotifications.NotifyAsync(db, Jobs.StageOffers.Channel, Jobs.StageOffers.Payload(stageId), cancellationToken);
        }
        catch (System.Data.Common.DbException)
        {
            // only the fast way is lost: the job is queued and recorded, and its delivery runs the stage
        }
    }
}
