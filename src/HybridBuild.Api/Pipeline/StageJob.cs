using Hangfire;
using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Pipeline;

/// <summary>
/// The Hangfire job that runs one stage. It carries only the stage id and is safe to deliver twice:
/// it claims the stage with a conditional update and a lease, and a delivery that finds the stage
/// finished, or held by a live worker, does nothing.
/// </summary>
[AutomaticRetry(Attempts = 3, DelaysInSeconds = [5, 30, 120])]
internal sealed partial class StageJob(
    BuildDbContext db,
    IDbContextFactory<BuildDbContext> contexts,
    StageExecutor executor,
    BuildScheduler scheduler,
    BuildLog log,
    IOptions<WorkerOptions> options,
    TimeProvider clock,
    ILogger<StageJob> logger)
{
    private WorkerOptions Options => options.Value;

    [JobDisplayName("stage {0}")]
    public async Task RunAsync(Guid stageId, CancellationToken cancellationToken)
    {
        var stage = await db.Stages.AsNoTracking().Include(s => s.Build).FirstOrDefaultAsync(s => s.Id == stageId, cancellationToken);
        if (stage?.Build is null) return;
        var runId = Guid.NewGuid();
        if (stage.Status.IsTerminal() || !await ClaimAsync(stage, runId, cancellationToken))
        {
            // another delivery did the work, or the build was cancelled: make sure the build still moves on
            await CancelIfRequestedAsync(stage, cancellationToken);
            await scheduler.AdvanceAsync(stage.BuildId, cancellationToken);
            return;
        }
        LogRunning(stage.Name, stage.BuildId, runId);
        await db.Builds.Where(b => b.Id == stage.BuildId && b.Status == BuildStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, BuildStatus.Running).SetProperty(b => b.StartedAt, clock.GetUtcNow()), cancellationToken);
        await log.StageAsync(stage.BuildId, stage.Name, StageStatus.Running, null, cancellationToken);

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        run.CancelAfter(Options.StageTimeout);
        using var watch = new CancellationTokenSource();
        var watcher = WatchAsync(stage, runId, run, watch.Token);
        StageOutcome outcome;
        try
        {
            outcome = await executor.ExecuteAsync(stage, runId, run.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Hangfire stopped the job: the build was cancelled (its job withdrawn), or this node is shutting down
            if (await IsCancelRequestedAsync(stage.BuildId))
            {
                outcome = StageOutcome.Cancelled("cancelled while running");
            }
            else
            {
                // hand the stage back, so the job's next delivery (or the sweep) runs it again
                await watch.CancelAsync();
                await db.Stages.Where(s => s.Id == stageId && s.RunId == runId)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Queued).SetProperty(s => s.RunId, (Guid?)null)
                        .SetProperty(s => s.EnqueuedAt, clock.GetUtcNow()), CancellationToken.None);
                throw;
            }
        }
        catch (OperationCanceledException)
        {
            outcome = await IsCancelRequestedAsync(stage.BuildId)
                ? StageOutcome.Cancelled("cancelled while running")
                : StageOutcome.Failed($"timed out after {Options.StageTimeout}");
        }
        catch (Exception e) when (e is not DbUpdateException)
        {
            outcome = StageOutcome.Failed(e.Message);
        }
        finally
        {
            await watch.CancelAsync();
            await watcher;
        }

        bool recorded;
        try
        {
            recorded = await CompleteAsync(stage, runId, outcome);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: not null } pg && !pg.IsTransient)
        {
            // the result itself cannot be stored (a constraint or size the database refuses): running again would not help
            outcome = StageOutcome.Failed($"the stage's result could not be recorded: {pg.MessageText}");
            db.ChangeTracker.Clear();
            recorded = await CompleteAsync(stage, runId, outcome);
        }
        if (recorded)
            await log.StageAsync(stage.BuildId, stage.Name, outcome.Status, outcome.Error, CancellationToken.None);
        LogFinished(stage.Name, stage.BuildId, outcome.Status);
        await scheduler.AdvanceAsync(stage.BuildId, CancellationToken.None);
    }

    private async Task<bool> ClaimAsync(Stage stage, Guid runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var stale = now - Options.LeaseTimeout;
        var claimed = await db.Stages
            .Where(s => s.Id == stage.Id && s.Build!.CancelRequestedAt == null
                && (s.Status == StageStatus.Queued || (s.Status == StageStatus.Running && s.HeartbeatAt < stale)))
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, StageStatus.Running).SetProperty(s => s.RunId, runId)
                .SetProperty(s => s.StartedAt, now).SetProperty(s => s.HeartbeatAt, now)
                .SetProperty(s => s.Attempts, s => s.Attempts + 1).SetProperty(s => s.Error, (string?)null), cancellationToken);
        return claimed == 1;
    }

    /// <summary>
    /// Keeps the lease alive and stops the run when the build is cancelled or the lease is lost. A failing
    /// database does not end the watch: only a lease that could not be renewed for a whole lease period does.
    /// </summary>
    private async Task WatchAsync(Stage stage, Guid runId, CancellationTokenSource run, CancellationToken stop)
    {
        var lastBeat = clock.GetUtcNow();
        var beatEvery = Options.LeaseTimeout / 4;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.CancellationPollInterval, clock, stop);
                // stop well before the sweep may hand the stage to another worker (it waits a whole lease)
                if (clock.GetUtcNow() - lastBeat > Options.LeaseTimeout / 2) { await run.CancelAsync(); return; }
                // its own context: the run uses the scope's context at the same time
                await using var db = await contexts.CreateDbContextAsync(stop);
                if (await db.Builds.AnyAsync(b => b.Id == stage.BuildId && b.CancelRequestedAt != null, stop)) { await run.CancelAsync(); return; }
                if (clock.GetUtcNow() - lastBeat < beatEvery) continue;
                var now = clock.GetUtcNow();
                var held = await db.Stages.Where(s => s.Id == stage.Id && s.RunId == runId)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.HeartbeatAt, now), stop);
                if (held == 0) { await run.CancelAsync(); return; }
                lastBeat = now;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogWatchFailed(e, stage.Name, stage.BuildId); // retried at the next poll; the lease check above gives up in time
            }
        }
    }

    /// <summary>A stage that will never be claimed because its build was cancelled is recorded as cancelled.</summary>
    private async Task CancelIfRequestedAsync(Stage stage, CancellationToken cancellationToken)
    {
        var stale = clock.GetUtcNow() - Options.LeaseTimeout;
        var cancelled = await db.Stages
            .Where(s => s.Id == stage.Id && s.Build!.CancelRequestedAt != null
                && (s.Status == StageStatus.Queued || (s.Status == StageStatus.Running && s.HeartbeatAt < stale)))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Cancelled).SetProperty(s => s.FinishedAt, clock.GetUtcNow())
                .SetProperty(s => s.Error, "cancelled before it started"), cancellationToken);
        if (cancelled == 1) await log.StageAsync(stage.BuildId, stage.Name, StageStatus.Cancelled, "cancelled before it started", cancellationToken);
    }

    private Task<bool> IsCancelRequestedAsync(Guid buildId) =>
        db.Builds.AnyAsync(b => b.Id == buildId && b.CancelRequestedAt != null);

    /// <summary>Records the outcome; a successful stage's artifacts become visible in the same transaction.</summary>
    private async Task<bool> CompleteAsync(Stage stage, Guid runId, StageOutcome outcome)
    {
        await using var transaction = await db.Database.BeginTransactionAsync();
        var updated = await db.Stages.Where(s => s.Id == stage.Id && s.RunId == runId && s.Status == StageStatus.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, outcome.Status).SetProperty(s => s.FinishedAt, clock.GetUtcNow())
                .SetProperty(s => s.Error, outcome.Error).SetProperty(s => s.ImageDigest, outcome.ImageDigest));
        if (updated == 0) return false; // the lease was lost: another run owns the stage now
        if (outcome.Artifacts.Count > 0)
        {
            db.Artifacts.AddRange(outcome.Artifacts);
            await db.SaveChangesAsync();
        }
        await transaction.CommitAsync();
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check on stage {Stage} of build {BuildId}; retrying")]
    private partial void LogWatchFailed(Exception exception, string stage, Guid buildId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Running stage {Stage} of build {BuildId} (run {RunId})")]
    private partial void LogRunning(string stage, Guid buildId, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} of build {BuildId} finished: {Status}")]
    private partial void LogFinished(string stage, Guid buildId, StageStatus status);
}
