using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;
using HybridBuild.Core.Errors;
using HybridBuild.Core.Specs;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;

namespace HybridBuild.Api.Pipeline;

/// <summary>
/// Moves a build forward: queues stages whose dependencies succeeded, skips those that can no longer run,
/// and settles the build once every stage is done. Safe to call any number of times from any node:
/// every transition is a conditional update, so concurrent callers cannot queue a stage twice.
/// </summary>
internal sealed partial class BuildScheduler(BuildDbContext db, IStageQueue queue, BuildLog log, TimeProvider clock,
    IServiceProvider services, ILogger<BuildScheduler> logger)
{
    public async Task AdvanceAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var cancelRequested = await db.Builds.Where(b => b.Id == buildId).Select(b => b.CancelRequestedAt != null).FirstAsync(cancellationToken);
        var stages = await LoadStagesAsync(buildId, cancellationToken);
        if (!cancelRequested)
        {
            foreach (var stage in PipelinePlanner.Unreachable(stages))
            {
                var failed = stage.Dependencies.First(d => stages.Single(s => s.Name == d).Status != StageStatus.Succeeded);
                await SkipAsync(stage, $"skipped: stage '{failed}' did not succeed", cancellationToken);
            }
            foreach (var stage in PipelinePlanner.Runnable(stages))
                await EnqueueAsync(stage, cancellationToken);
        }
        await SettleAsync(buildId, cancellationToken);
    }

    /// <summary>Asks a build to stop. Stages not yet started are skipped or cancelled; running ones are stopped by their worker.</summary>
    public async Task CancelAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var requested = await db.Builds
            .Where(b => b.Id == buildId && (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.CancelRequestedAt, b => b.CancelRequestedAt ?? now), cancellationToken);
        if (requested == 0)
        {
            var status = await db.Builds.Where(b => b.Id == buildId).Select(b => (BuildStatus?)b.Status).FirstOrDefaultAsync(cancellationToken)
                ?? throw new NotFoundException($"There is no build {buildId}.");
            throw new ConflictException("build-finished", "The build has already finished.",
                $"Build {buildId} has already finished ({status.ToString().ToLowerInvariant()}); there is nothing to cancel.");
        }

        // one statement per stage decides from the row itself, so a stage queued meanwhile is cancelled, not missed;
        // stages queued from now on are refused by the enqueue claim, which checks the cancellation
        foreach (var stage in (await LoadStagesAsync(buildId, cancellationToken)).Where(s => s.Status == StageStatus.Queued))
        {
            var ended = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued)
                .ExecuteUpdateAsync(u => u
                    .SetProperty(s => s.Status, s => s.EnqueuedAt == null ? StageStatus.Skipped : StageStatus.Cancelled)
                    .SetProperty(s => s.Error, s => s.EnqueuedAt == null ? "skipped: the build was cancelled" : "cancelled before it started")
                    .SetProperty(s => s.FinishedAt, now), cancellationToken);
            if (ended == 0) continue; // a worker claimed it first: it sees the cancellation and stops
            var after = await db.Stages.AsNoTracking().Where(s => s.Id == stage.Id).Select(s => new { s.Status, s.Error, s.JobId }).FirstAsync(cancellationToken);
            await log.StageAsync(buildId, stage.Name, after.Status, after.Error, cancellationToken);
            if (after.JobId is not null) queue.Withdraw(after.JobId);
        }
        await SettleAsync(buildId, cancellationToken);
    }

    private async Task EnqueueAsync(Stage stage, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claimed = await db.Stages
            .Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued && s.EnqueuedAt == null && s.Build!.CancelRequestedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EnqueuedAt, now), cancellationToken);
        if (claimed == 0) return; // another caller queued it
        var jobId = queue.Enqueue(stage.Id);
        await db.Stages.Where(s => s.Id == stage.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.JobId, jobId), cancellationToken);
    }

    private async Task SkipAsync(Stage stage, string reason, CancellationToken cancellationToken)
    {
        var skipped = await db.Stages.Where(s => s.Id == stage.Id && s.Status == StageStatus.Queued && s.EnqueuedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, StageStatus.Skipped)
                .SetProperty(s => s.FinishedAt, clock.GetUtcNow()).SetProperty(s => s.Error, reason), cancellationToken);
        if (skipped == 1) await log.StageAsync(stage.BuildId, stage.Name, StageStatus.Skipped, reason, cancellationToken);
    }

    private async Task SettleAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var cancelRequested = await db.Builds.Where(b => b.Id == buildId).Select(b => b.CancelRequestedAt != null).FirstAsync(cancellationToken);
        var outcome = PipelinePlanner.Outcome(await LoadStagesAsync(buildId, cancellationToken), cancelRequested);
        if (outcome is not { } status) return;
        var settled = await db.Builds.Where(b => b.Id == buildId && (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, status).SetProperty(b => b.FinishedAt, clock.GetUtcNow()), cancellationToken);
        // only the caller that settled the build publishes it; the keys make a repeat return the same publications
        if (settled == 1 && status == BuildStatus.Succeeded) await PublishAsync(buildId, cancellationToken);
    }

    private async Task PublishAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var publish = await db.Builds.AsNoTracking().Where(b => b.Id == buildId).Select(b => b.Publish).FirstAsync(cancellationToken);
        var publications = services.GetRequiredService<Publications.PublicationService>();
        for (var i = 0; i < publish.Count; i++)
        {
            var request = new Publications.PublicationEndpoints.PublishRequest
            {
                Target = publish[i].Target, Stages = publish[i].Stages, Path = publish[i].Path, Properties = publish[i].Properties,
            };
            try
            {
                await publications.CreateAsync(buildId, request, $"auto:{buildId}:{i}", cancellationToken);
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
