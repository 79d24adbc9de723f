namespace HybridBuild.Application.Jobs;

/// <summary>
/// The one sweep that recovers every kind of background work whose transport or run was lost: a running stage,
/// publication, delivery or notification whose node stopped reporting; one queued but never handed to the transport, or whose job
/// ended, vanished or sits on a dead server; a stage that waited for a worker past its queue TTL; a build whose last
/// step did not move it on, or that settled without its follow-ups. Each item is recovered on
/// its own, so one that fails does not stop the sweep for the others; every change is a lifecycle's conditional
/// update, so sweeps on several nodes, or beside live runs, do no harm.
/// </summary>
internal sealed partial class Reconciler(
    BuildDbContext db, StageLifecycle stages, BuildLifecycle builds, BuildScheduler scheduler, PublicationLifecycle publications,
    DeliveryLifecycle deliveries, Notifications.NotificationLifecycle notifications, IJobDispatcher jobs, NodeIdentity node, IOptions<WorkerOptions> options, TimeProvider clock,
    ILogger<Reconciler> logger)
{
    /// <summary>Nodes silent this long are forgotten.</summary>
    private static readonly TimeSpan ForgetNodesAfter = TimeSpan.FromDays(1);

    public const string JobId = "reconcile";

    /// <summary>Recovers what is lost; returns how many items it acted on.</summary>
    [Hangfire.DisableConcurrentExecution(timeoutInSeconds: 60), Hangfire.AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // right after an outage every node looks silent: recover from others only once this node has reached the
        // database for a whole node timeout, by when every live node has reported again
        var now = clock.GetUtcNow();
        if (node.HealthySince is not { } healthy || now - healthy < options.Value.NodeTimeout) return 0;

        var acted = 0;
        acted += await EachAsync("stage", await stages.AbandonedAsync(cancellationToken), s => s.Id, stages.RecoverAsync, cancellationToken);
        // before the lost jobs: an overdue stage whose job is lost expires rather than queueing again
        acted += await EachAsync("stage", await stages.OverdueAsync(cancellationToken), s => s.Id, async (s, ct) =>
        {
            if (await stages.ExpireAsync(s, ct)) await scheduler.AdvanceAsync(s.BuildId, ct);
        }, cancellationToken);
        acted += await EachAsync("stage", (await stages.WaitingAsync(cancellationToken)).Where(s => s.JobId is null || jobs.IsLost(s.JobId)).ToList(),
            s => s.Id, stages.RequeueAsync, cancellationToken);
        acted += await EachAsync("publication", await publications.AbandonedAsync(cancellationToken), p => p.Id, publications.RecoverAsync, cancellationToken);
        acted += await EachAsync("publication", (await publications.WaitingAsync(cancellationToken)).Where(p => p.JobId is null || jobs.IsLost(p.JobId)).ToList(),
            p => p.Id, publications.RequeueAsync, cancellationToken);
        acted += await EachAsync("delivery", await deliveries.AbandonedAsync(cancellationToken), d => d.Id, deliveries.RecoverAsync, cancellationToken);
        acted += await EachAsync("delivery", (await deliveries.WaitingAsync(cancellationToken)).Where(d => d.JobId is null || jobs.IsLost(d.JobId)).ToList(),
            d => d.Id, deliveries.RequeueAsync, cancellationToken);
        acted += await EachAsync("notification", await notifications.AbandonedAsync(cancellationToken), n => n.Id, notifications.RecoverAsync, cancellationToken);
        acted += await EachAsync("notification", (await notifications.WaitingAsync(cancellationToken)).Where(n => n.JobId is null || jobs.IsLost(n.JobId)).ToList(),
            n => n.Id, notifications.RequeueAsync, cancellationToken);
        await EachAsync("build", await builds.UnsettledAsync(now - options.Value.SweepInterval, cancellationToken), b => b, scheduler.AdvanceAsync, cancellationToken);
        // follow-ups hold no lease: a settled build's are taken over once they have been due for a lease's time
        var followUpsBefore = now - options.Value.LeaseTimeout;
        acted += await EachAsync("build", await builds.FollowUpsDueAsync(followUpsBefore, cancellationToken), b => b, async (b, ct) =>
        {
            if (await builds.ClaimFollowUpsAsync(b, followUpsBefore, ct) is { } claimed) await scheduler.FollowUpAsync(b, claimed.Status, claimed.Mark, ct);
        }, cancellationToken);
        await db.Nodes.Where(n => n.HeartbeatAt < now - ForgetNodesAfter).ExecuteDeleteAsync(cancellationToken);
        return acted;
    }

    private async Task<int> EachAsync<T>(string kind, IReadOnlyList<T> items, Func<T, Guid> id, Func<T, CancellationToken, Task> recover, CancellationToken cancellationToken)
    {
        foreach (var item in items)
        {
            try
            {
                await recover(item, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogItemFailed(e, kind, id(item));
                db.ChangeTracker.Clear();
            }
        }
        return items.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not recover {Kind} {Id}; the next sweep tries again")]
    private partial void LogItemFailed(Exception exception, string kind, Guid id);
}
