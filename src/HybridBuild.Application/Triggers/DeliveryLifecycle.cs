namespace HybridBuild.Application.Triggers;

/// <summary>
/// Every state change of a webhook delivery whose spec file is read by a job: dispatch, claim with a lease,
/// heartbeat, release, complete (started or failed), recover. A delivery with an inline spec is complete when stored.
/// </summary>
internal sealed class DeliveryLifecycle(BuildDbContext db, Leases leases, IJobDispatcher jobs, NodeIdentity node,
    IOptions<WorkerOptions> options, TimeProvider clock)
{
    /// <summary>Longest reason kept (its column); a reason often quotes the sender's own text.</summary>
    public const int MaxReasonLength = 255;

    public async Task DispatchAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        var jobId = jobs.Dispatch(JobKind.SpecFile, deliveryId);
        await db.TriggerDeliveries.Where(d => d.Id == deliveryId && d.Outcome == DeliveryOutcome.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.JobId, jobId), cancellationToken);
    }

    /// <summary>A build that deliveries started is deleted: they keep their outcome, and no longer name it.</summary>
    public Task ForgetBuildAsync(Guid buildId, CancellationToken cancellationToken) =>
        db.TriggerDeliveries.Where(d => d.BuildId == buildId)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.BuildId, (Guid?)null), cancellationToken);

    /// <summary>Queued → running under <paramref name="runId"/> on this node.</summary>
    public async Task<bool> ClaimAsync(Guid deliveryId, Guid runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return await db.TriggerDeliveries.Where(d => d.Id == deliveryId && d.Outcome == DeliveryOutcome.Queued && d.Commit != null)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Outcome, DeliveryOutcome.Running).SetProperty(d => d.RunId, runId)
                .SetProperty(d => d.NodeId, node.Id).SetProperty(d => d.HeartbeatAt, now).SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken) == 1;
    }

    public Task<LeaseState> HeartbeatAsync(Guid deliveryId, Guid runId, bool renew, CancellationToken cancellationToken) =>
        leases.ReportAsync(c => c.TriggerDeliveries.Where(d => d.Id == deliveryId && d.RunId == runId && d.Outcome == DeliveryOutcome.Running), renew, cancellationToken);

    public Task ReleaseAsync(Guid deliveryId, Guid runId) =>
        db.TriggerDeliveries.Where(d => d.Id == deliveryId && d.RunId == runId && d.Outcome == DeliveryOutcome.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Outcome, DeliveryOutcome.Queued).SetProperty(d => d.RunId, (Guid?)null)
                .SetProperty(d => d.NodeId, (Guid?)null), CancellationToken.None);

    /// <summary>Running → started (with its build) or failed (with why).</summary>
    public Task CompleteAsync(Guid deliveryId, Guid runId, DeliveryOutcome outcome, Guid? buildId, string? reason) =>
        db.TriggerDeliveries.Where(d => d.Id == deliveryId && d.RunId == runId && d.Outcome == DeliveryOutcome.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Outcome, outcome).SetProperty(d => d.BuildId, buildId)
                .SetProperty(d => d.Reason, Clip(reason)).SetProperty(d => d.NodeId, (Guid?)null), CancellationToken.None);

    public Task<List<TriggerDelivery>> AbandonedAsync(CancellationToken cancellationToken) =>
        leases.AbandonedAsync(db.TriggerDeliveries.Where(d => d.Outcome == DeliveryOutcome.Running), cancellationToken);

    public Task<List<TriggerDelivery>> WaitingAsync(CancellationToken cancellationToken)
    {
        var settled = leases.WaitedSince;
        return db.TriggerDeliveries.AsNoTracking().Where(d => d.Outcome == DeliveryOutcome.Queued && d.ReceivedAt < settled).ToListAsync(cancellationToken);
    }

    public async Task RecoverAsync(TriggerDelivery delivery, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxAttempts;
        var failed = delivery.Attempts >= max;
        var changed = await leases.EndAbandonedRunAsync(db.TriggerDeliveries.Where(d => d.Id == delivery.Id && d.Outcome == DeliveryOutcome.Running), delivery,
            u => u.SetProperty(d => d.Outcome, failed ? DeliveryOutcome.Failed : DeliveryOutcome.Queued)
                .SetProperty(d => d.Reason, failed ? $"reading the spec file lost its worker {max} times" : null), cancellationToken);
        if (changed && !failed) await DispatchAsync(delivery.Id, cancellationToken);
    }

    public async Task RequeueAsync(TriggerDelivery delivery, CancellationToken cancellationToken)
    {
        if (await leases.TakeOverLostJobAsync(db.TriggerDeliveries.Where(d => d.Id == delivery.Id && d.Outcome == DeliveryOutcome.Queued), delivery, cancellationToken))
            await DispatchAsync(delivery.Id, cancellationToken);
    }

    public static string? Clip(string? reason) => reason is { Length: > MaxReasonLength } ? reason[..MaxReasonLength] : reason;
}
