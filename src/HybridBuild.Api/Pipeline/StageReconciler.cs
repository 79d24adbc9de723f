using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Pipeline;

/// <summary>
/// A recurring sweep for stages whose transport was lost: queued but never handed to Hangfire
/// (the node died between the two), or running on a worker that stopped reporting. They are queued
/// again; a stage that keeps losing its worker fails after <see cref="MaxAttempts"/> runs.
/// </summary>
internal sealed class StageReconciler(BuildDbContext db, IStageQueue queue, BuildScheduler scheduler, IOptions<WorkerOptions> options, TimeProvider clock)
{
    public const string JobId = "reconcile-stages";
    private const int MaxAttempts = 3;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var stale = now - options.Value.LeaseTimeout;
        var lost = await db.Stages.AsNoTracking()
            .Where(s => (s.Status == StageStatus.Queued && s.EnqueuedAt < stale && s.JobId == null)
                || (s.Status == StageStatus.Running && s.HeartbeatAt < stale))
            .ToListAsync(cancellationToken);
        foreach (var stage in lost)
        {
            if (stage.Status == StageStatus.Running && stage.Attempts >= MaxAttempts)
            {
                await db.Stages.Where(s => s.Id == stage.Id && s.RunId == stage.RunId && s.Status == StageStatus.Running)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Failed).SetProperty(s => s.FinishedAt, now)
                        .SetProperty(s => s.Error, $"the stage lost its worker {MaxAttempts} times"), cancellationToken);
                await scheduler.AdvanceAsync(stage.BuildId, cancellationToken);
                continue;
            }
            var jobId = queue.Enqueue(stage.Id);
            await db.Stages.Where(s => s.Id == stage.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.JobId, jobId), cancellationToken);
        }
    }
}
