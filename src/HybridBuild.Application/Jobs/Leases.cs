using Microsoft.EntityFrameworkCore.Query;

namespace HybridBuild.Application.Jobs;

/// <summary>
/// The lease rules every kind of background work shares: how a run reports, when its work counts as abandoned, and how
/// abandoned work and work whose job is lost are taken back.
/// </summary>
internal sealed class Leases(BuildDbContext db, IDbContextFactory<BuildDbContext> contexts, IOptions<WorkerOptions> options, TimeProvider clock)
{
    /// <summary>
    /// Renews the lease of what <paramref name="held"/> selects (the work under this run) when <paramref name="renew"/>, else only
    /// looks, in a context of its own: it runs beside the run, which uses the job's.
    /// </summary>
    public async Task<LeaseState> ReportAsync<T>(Func<BuildDbContext, IQueryable<T>> held, bool renew, CancellationToken cancellationToken)
        where T : class, ILeased
    {
        await using var own = await contexts.CreateDbContextAsync(cancellationToken);
        var query = held(own);
        var now = (DateTimeOffset?)clock.GetUtcNow();
        var alive = renew
            ? await query.ExecuteUpdateAsync(u => u.SetProperty(x => x.HeartbeatAt, now), cancellationToken) == 1
            : await query.AnyAsync(cancellationToken);
        return alive ? LeaseState.Held : LeaseState.Lost;
    }

    /// <summary>Of the running work <paramref name="running"/> selects, what its run has left: its node is silent, or it did not report for a whole lease.</summary>
    public Task<List<T>> AbandonedAsync<T>(IQueryable<T> running, CancellationToken cancellationToken) where T : class, ILeased
    {
        var now = clock.GetUtcNow();
        var (leaseStale, nodeStale) = (now - options.Value.LeaseTimeout, now - options.Value.NodeTimeout);
        return running.AsNoTracking()
            .Where(x => x.HeartbeatAt < leaseStale || !db.Nodes.Any(n => n.Id == x.NodeId && n.HeartbeatAt >= nodeStale))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Ends the run of abandoned work if the work is still as <paramref name="seen"/> was read (a run that reported meanwhile
    /// keeps it): its run, node and job are cleared, and <paramref name="outcome"/> sets the kind's own status columns.
    /// True when this call changed it.
    /// </summary>
    public async Task<bool> EndAbandonedRunAsync<T>(IQueryable<T> running, T seen, Action<UpdateSettersBuilder<T>> outcome,
        CancellationToken cancellationToken) where T : class, ILeased
    {
        var (runId, heartbeatAt) = (seen.RunId, seen.HeartbeatAt);
        return await running.Where(x => x.RunId == runId && x.HeartbeatAt == heartbeatAt)
            .ExecuteUpdateAsync(u =>
            {
                outcome(u);
                u.SetProperty(x => x.RunId, (Guid?)null).SetProperty(x => x.NodeId, (Guid?)null).SetProperty(x => x.JobId, (string?)null);
            }, cancellationToken) == 1;
    }

    /// <summary>
    /// Takes over queued work whose job is lost (or was never made), if no one else has since <paramref name="seen"/> was
    /// read: true when the caller is to hand it to the transport again.
    /// </summary>
    public async Task<bool> TakeOverLostJobAsync<T>(IQueryable<T> queued, T seen, CancellationToken cancellationToken) where T : class, ILeased
    {
        var lostJobId = seen.JobId;
        return await queued.Where(x => x.JobId == lostJobId).ExecuteUpdateAsync(u => u.SetProperty(x => x.JobId, "requeued"), cancellationToken) == 1;
    }

    /// <summary>Before this, queued work should have been taken by its job: the reconciler asks the transport about it.</summary>
    public DateTimeOffset WaitedSince => clock.GetUtcNow() - options.Value.SweepInterval;
}
