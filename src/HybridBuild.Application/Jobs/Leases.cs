namespace HybridBuild.Application.Jobs;

/// <summary>The lease rules every kind of background work shares: how a run reports, and when its work counts as abandoned.</summary>
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

    /// <summary>Before this, queued work should have been taken by its job: the reconciler asks the transport about it.</summary>
    public DateTimeOffset WaitedSince => clock.GetUtcNow() - options.Value.SweepInterval;
}
