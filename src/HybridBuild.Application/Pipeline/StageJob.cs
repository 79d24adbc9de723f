using HybridBuild.Application.Telemetry;

namespace HybridBuild.Application.Pipeline;

/// <summary>
/// The job that runs one stage. It carries only the stage id and is safe to deliver twice: it claims the stage,
/// and a delivery that finds the stage finished, or held by another run, does nothing but move the build on. A run is
/// stopped at the stage's timeout, and ended even when its executor does not stop within Worker:StopGrace of that.
/// </summary>
[AutomaticRetry(Attempts = 3, DelaysInSeconds = [5, 30, 120])]
internal sealed partial class StageJob(
    BuildDbContext db,
    StageLifecycle stages,
    BuildLifecycle builds,
    StageExecutor executor,
    BuildScheduler scheduler,
    BuildLog log,
    LeaseWatch watch,
    StageSlots slots,
    IOptions<WorkerOptions> options,
    HybridBuildMetrics metrics,
    TimeProvider clock,
    ILogger<StageJob> logger)
{
    /// <summary>How long a delivered stage waits for one of this node's slots before it is handed back to the queue.</summary>
    private static readonly TimeSpan HandBackAfter = TimeSpan.FromSeconds(2);

    /// <summary>The transport's delivery: a stage still queued takes one of this node's stage slots before it is claimed.</summary>
    [JobDisplayName("stage {0}")]
    public Task RunAsync(Guid stageId, CancellationToken cancellationToken) => RunCoreAsync(stageId, slotHeld: false, cancellationToken);

    /// <summary>A run started by this node itself (<see cref="Jobs.LocalStages"/>), which already holds a stage slot for it.</summary>
    internal Task RunInSlotAsync(Guid stageId, CancellationToken cancellationToken) => RunCoreAsync(stageId, slotHeld: true, cancellationToken);

    private async Task RunCoreAsync(Guid stageId, bool slotHeld, CancellationToken cancellationToken)
    {
        var stage = await db.Stages.AsNoTracking().Include(s => s.Build).FirstOrDefaultAsync(s => s.Id == stageId, cancellationToken);
        if (stage?.Build is null) return;
        // an offer that another node (or the job) took first: the run that has it moves the build on
        if (slotHeld && stage.Status != StageStatus.Queued) return;
        // a delivery that comes after the stage's queue TTL ends it instead of running it
        if (stage.Status == StageStatus.Queued && await stages.ExpireAsync(stage, cancellationToken))
        {
            await scheduler.AdvanceAsync(stage.BuildId, cancellationToken);
            return;
        }
        // only a stage that may still be claimed needs a slot; one running elsewhere (or here) is only moved on
        var takesSlot = stage.Status == StageStatus.Queued && !slotHeld;
        if (takesSlot && !await slots.TakeAsync(HandBackAfter, cancellationToken))
        {
            // the transport hands this node no more jobs than it has slots, so the slots are held by stages the node
            // started itself: the stage goes back to the queue, for a node with room, rather than wait here
            await stages.HandBackAsync(stage, cancellationToken);
            return;
        }
        try
        {
            await ClaimAndRunAsync(stage, cancellationToken);
        }
        finally
        {
            if (takesSlot) slots.Release();
        }
    }

    private async Task ClaimAndRunAsync(Stage stage, CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid();
        if (stage.Status.IsTerminal() || !await stages.ClaimAsync(stage.Id, runId, cancellationToken))
        {
            // another delivery did the work, or the build was cancelled: make sure the build still moves on
            if (stage.Status == StageStatus.Queued && await builds.IsCancelRequestedAsync(stage.BuildId, cancellationToken))
                await stages.CancelQueuedAsync(stage, cancellationToken);
            await scheduler.AdvanceAsync(stage.BuildId, cancellationToken);
            return;
        }
        var started = clock.GetUtcNow();
        if (stage.EnqueuedAt is { } enqueued) metrics.Started(JobKind.Stage, started - enqueued);
        using var span = HybridBuildTelemetry.Source.StartActivity(HybridBuildTelemetry.Spans.Stage)
            ?.SetTag(HybridBuildTelemetry.Tags.BuildId, stage.BuildId).SetTag(HybridBuildTelemetry.Tags.Stage, stage.Name);
        LogRunning(stage.Name, stage.BuildId, runId);
        if (stage.Build!.Status == BuildStatus.Queued) await builds.StartAsync(stage.BuildId, cancellationToken); // conditional: a race is harmless
        await log.StageAsync(stage.BuildId, stage.Name, StageStatus.Running, null, cancellationToken);

        var timeout = stage.Timeout ?? options.Value.StageTimeout;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        run.CancelAfter(timeout);
        var outcome = await RunWatchedAsync(stage, runId, run, timeout, cancellationToken);
        if (outcome is null)
        {
            // this node is shutting down: hand the stage back, so the job's next delivery (or the sweep) runs it again
            await stages.ReleaseAsync(stage.Id, runId);
            cancellationToken.ThrowIfCancellationRequested();
        }
        // the outcome is kept across a database outage as long as the run itself would have kept going without it
        var outage = options.Value.LeaseTimeout;
        await DatabaseOutage.RideOutAsync(_ => stages.CompleteAsync(stage, runId, outcome!), outage, e => LogWaiting(stage.Name, stage.BuildId, e.GetBaseException().Message), CancellationToken.None);
        LogFinished(stage.Name, stage.BuildId, outcome!.Status);
        metrics.StageFinished(clock.GetUtcNow() - started, outcome.Status);
        span?.SetTag(HybridBuildTelemetry.Tags.Outcome, EnumNames<StageStatus>.NameOf(outcome.Status));
        if (outcome.Status != StageStatus.Succeeded) span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, outcome.Error);
        await DatabaseOutage.RideOutAsync(ct => scheduler.AdvanceAsync(stage.BuildId, ct), outage, e => LogWaiting(stage.Name, stage.BuildId, e.GetBaseException().Message), CancellationToken.None);
    }

    /// <summary>The stage's outcome, or null when the job itself was stopped for another reason than the build's cancellation.</summary>
    private async Task<StageOutcome?> RunWatchedAsync(Stage stage, Guid runId, CancellationTokenSource run, TimeSpan timeout, CancellationToken job)
    {
        using var stopWatch = new CancellationTokenSource();
        var watcher = watch.KeepAsync($"stage {stage.Name} of build {stage.BuildId}",
            (renew, ct) => stages.HeartbeatAsync(stage.Id, runId, renew, ct), run, stopWatch.Token);
        try
        {
            // time spent waiting for room on a builder does not count against the timeout (it counts against the queue TTL)
            var execution = executor.ExecuteAsync(stage, runId, () => run.CancelAfter(timeout), run.Token);
            if (!await StopsInTimeAsync(execution, run.Token))
            {
                // the executor ignores its cancellation: end the stage without it (the finally stops the heartbeat)
                LogDidNotStop(stage.Name, stage.BuildId, options.Value.StopGrace);
                _ = execution.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                return await StoppedAsync(stage, timeout, job, hung: true);
            }
            var outcome = await execution;
            // an engine may answer a stopped solve with a failure of its own words: the reason it was stopped is the truth
            return run.IsCancellationRequested && outcome.Status != StageStatus.Succeeded ? await StoppedAsync(stage, timeout, job, hung: false) : outcome;
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            return await StoppedAsync(stage, timeout, job, hung: false);
        }
        catch (Exception e) when (DatabaseOutage.IsOutage(e))
        {
            return StageOutcome.Failed("the database could not be reached while the stage was being prepared or its files stored; retry the build");
        }
        catch (Exception e) when (e is not DbUpdateException)
        {
            return StageOutcome.Failed(e.Message);
        }
        finally
        {
            await stopWatch.CancelAsync();
            await watcher;
        }
    }

    /// <summary>False when <paramref name="execution"/> is still going <see cref="WorkerOptions.StopGrace"/> after <paramref name="run"/> was cancelled.</summary>
    private async Task<bool> StopsInTimeAsync(Task execution, CancellationToken run)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (run.Register(() => cancelled.TrySetResult()))
            await Task.WhenAny(execution, cancelled.Task);
        if (execution.IsCompleted) return true;
        using var grace = new CancellationTokenSource();
        var finished = await Task.WhenAny(execution, Task.Delay(options.Value.StopGrace, clock, grace.Token)) == execution;
        await grace.CancelAsync();
        return finished;
    }

    /// <summary>Why a run that was stopped ended: its build's cancellation, the node's shutdown (null), a lost lease, or its timeout.</summary>
    private async Task<StageOutcome?> StoppedAsync(Stage stage, TimeSpan timeout, CancellationToken job, bool hung)
    {
        // the watch knows why it stopped the run; only a run stopped by its timeout asks the database whether the build
        // was cancelled meanwhile, and a database that does not answer then leaves the timeout as the reason
        switch (watch.StoppedFor)
        {
            case LeaseState.Cancelled: return StageOutcome.Cancelled(StageLifecycle.CancelledWhileRunning);
            case LeaseState.Lost: return StageOutcome.Failed("the stage's lease was lost (the database could not be reached)");
        }
        if (job.IsCancellationRequested) return null;
        try
        {
            if (await builds.IsCancelRequestedAsync(stage.BuildId, CancellationToken.None)) return StageOutcome.Cancelled(StageLifecycle.CancelledWhileRunning);
        }
        catch (Exception e) when (DatabaseOutage.IsOutage(e))
        {
            // not known: the timeout stands as the reason
        }
        return StageOutcome.Failed(StageLifecycle.TimedOut(timeout, hung ? options.Value.StopGrace : null));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Running stage {Stage} of build {BuildId} (run {RunId})")]
    private partial void LogRunning(string stage, Guid buildId, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stage {Stage} of build {BuildId} finished, but the database is unavailable; waiting to record it ({Reason})")]
    private partial void LogWaiting(string stage, Guid buildId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stage {Stage} of build {BuildId} did not stop within {Grace} of being cancelled; it is ended without waiting for it")]
    private partial void LogDidNotStop(string stage, Guid buildId, TimeSpan grace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} of build {BuildId} finished: {Status}")]
    private partial void LogFinished(string stage, Guid buildId, StageStatus status);
}
