using Hangfire;
using Hangfire.States;
using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Pipeline;

/// <summary>
/// A recurring sweep (on its own queue, so busy stage workers cannot starve it) for builds whose transport
/// was lost: a stage queued but never handed to Hangfire, or whose job failed or was deleted; a stage
/// running on a worker that stopped reporting; a build whose last step did not move it on. Everything it
/// does is a conditional update, so sweeps on several nodes, or beside live workers, do no harm.
/// </summary>
internal sealed class StageReconciler(
    BuildDbContext db, IStageQueue queue, BuildScheduler scheduler, BuildLog log, JobStorage jobs,
    IOptions<WorkerOptions> options, TimeProvider clock)
{
    public const string JobId = "reconcile-stages";
    public const string Queue = "maintenance";
    private const int MaxAttempts = 3;
    // a job that ended (or vanished) while its stage is still queued will never run it
    private static readonly string[] LostJobStates = [FailedState.StateName, DeletedState.StateName, SucceededState.StateName];

    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var stale = clock.GetUtcNow() - options.Value.LeaseTimeout;
        foreach (var stage in await db.Stages.AsNoTracking().Include(s => s.Build)
                     .Where(s => s.Status == StageStatus.Running && s.HeartbeatAt < stale).ToListAsync(cancellationToken))
            await RecoverRunningAsync(stage, stale, cancellationToken);

        foreach (var stage in await db.Stages.AsNoTracking().Include(s => s.Build)
                     .Where(s => s.Status == StageStatus.Queued && s.EnqueuedAt < stale).ToListAsync(cancellationToken))
            if (stage.JobId is null || JobIsLost(stage.JobId))
                await RequeueAsync(stage, cancellationToken);

        var unsettled = await db.Builds.Where(b => (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running) && b.CreatedAt < stale)
            .Select(b => b.Id).ToListAsync(cancellationToken);
        foreach (var buildId in unsettled) await scheduler.AdvanceAsync(buildId, cancellationToken);
    }

    /// <summary>A running stage whose worker went silent: cancelled if its build was, failed after too many tries, else queued again.</summary>
    private async Task RecoverRunningAsync(Stage stage, DateTimeOffset stale, CancellationToken cancellationToken)
    {
        var (status, error) = stage.Build!.CancelRequestedAt is not null ? (StageStatus.Cancelled, "cancelled; its worker had stopped reporting")
            : stage.Attempts >= MaxAttempts ? (StageStatus.Failed, $"the stage lost its worker {MaxAttempts} times")
            : (StageStatus.Queued, null);
        var now = clock.GetUtcNow();
        var changed = await db.Stages.Where(s => s.Id == stage.Id && s.RunId == stage.RunId && s.Status == StageStatus.Running && s.HeartbeatAt < stale)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, status).SetProperty(s => s.RunId, (Guid?)null)
                .SetProperty(s => s.Error, error).SetProperty(s => s.EnqueuedAt, now).SetProperty(s => s.JobId, (string?)null)
                .SetProperty(s => s.FinishedAt, status == StageStatus.Queued ? null : now), cancellationToken);
        if (changed == 0) return;
        if (status == StageStatus.Queued) await RequeueAsync(stage, cancellationToken);
        else
        {
            await log.StageAsync(stage.BuildId, stage.Name, status, error, cancellationToken);
            await scheduler.AdvanceAsync(stage.BuildId, cancellationToken);
        }
    }

    private async Task RequeueAsync(Stage stage, CancellationToken cancellationToken)
    {
        if (stage.Build!.CancelRequestedAt is not null)
        {
            var cancelled = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Cancelled).SetProperty(s => s.FinishedAt, clock.GetUtcNow())
                    .SetProperty(s => s.Error, "cancelled before it started"), cancellationToken);
            if (cancelled == 1) await log.StageAsync(stage.BuildId, stage.Name, StageStatus.Cancelled, "cancelled before it started", cancellationToken);
            await scheduler.AdvanceAsync(stage.BuildId, cancellationToken);
            return;
        }
        var jobId = queue.Enqueue(stage.Id);
        await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.JobId, jobId).SetProperty(s => s.EnqueuedAt, clock.GetUtcNow()), cancellationToken);
    }

    private bool JobIsLost(string jobId)
    {
        using var connection = jobs.GetConnection();
        var state = connection.GetStateData(jobId);
        if (state is null || LostJobStates.Contains(state.Name)) return true;
        // a job processing on a server that is gone (killed, out of memory) would wait for the invisibility timeout
        return state.Name == ProcessingState.StateName && state.Data.TryGetValue("ServerId", out var server)
            && jobs.GetMonitoringApi().Servers().All(s => s.Name != server);
    }
}
