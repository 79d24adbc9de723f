namespace HybridBuild.Application.Notifications;

/// <summary>
/// Every state change of a notification: dispatch (now or after a back-off), claim with a lease, heartbeat, release,
/// complete (delivered, retried or failed), recover; and the delivery log of a build.
/// </summary>
internal sealed class NotificationLifecycle(BuildDbContext db, Leases leases, IJobDispatcher jobs, NodeIdentity node,
    IOptions<NotificationOptions> options, TimeProvider clock)
{
    /// <summary>Longest error kept (its column); an error often quotes the receiver's own text.</summary>
    public const int MaxErrorLength = 500;

    /// <summary>Hands a pending notification to the transport, to run when its next attempt is due.</summary>
    public async Task DispatchAsync(Notification notification, CancellationToken cancellationToken)
    {
        var jobId = jobs.Dispatch(JobKind.Notification, notification.Id, notification.NextAttemptAt - clock.GetUtcNow());
        await db.Notifications.Where(n => n.Id == notification.Id && n.Status == NotificationStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(n => n.JobId, jobId), cancellationToken);
    }

    /// <summary>
    /// When an earlier notification to the same URL for the same build that has not finished is next due (null when none
    /// is): a commit status must not overtake the one before it (a late "pending" would hide "success").
    /// </summary>
    public Task<DateTimeOffset?> EarlierDueAsync(Notification notification, CancellationToken cancellationToken) =>
        db.Notifications.Where(n => n.BuildId == notification.BuildId && n.Url == notification.Url && n.CreatedAt < notification.CreatedAt
                && (n.Status == NotificationStatus.Pending || n.Status == NotificationStatus.Sending))
            .MaxAsync(n => (DateTimeOffset?)n.NextAttemptAt, cancellationToken);

    /// <summary>Pending and due → sending under <paramref name="runId"/> on this node, counting the attempt.</summary>
    public async Task<bool> ClaimAsync(Guid notificationId, Guid runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return await db.Notifications.Where(n => n.Id == notificationId && n.Status == NotificationStatus.Pending && n.NextAttemptAt <= now)
            .ExecuteUpdateAsync(u => u.SetProperty(n => n.Status, NotificationStatus.Sending).SetProperty(n => n.RunId, runId)
                .SetProperty(n => n.NodeId, node.Id).SetProperty(n => n.HeartbeatAt, now).SetProperty(n => n.Attempts, n => n.Attempts + 1), cancellationToken) == 1;
    }

    public Task<LeaseState> HeartbeatAsync(Guid notificationId, Guid runId, bool renew, CancellationToken cancellationToken) =>
        leases.ReportAsync(c => c.Notifications.Where(n => n.Id == notificationId && n.RunId == runId && n.Status == NotificationStatus.Sending), renew, cancellationToken);

    /// <summary>Sending → pending, the attempt not counted: stopped without an answer (shutdown), so the job's retry sends it again.</summary>
    public Task ReleaseAsync(Guid notificationId, Guid runId) =>
        db.Notifications.Where(n => n.Id == notificationId && n.RunId == runId && n.Status == NotificationStatus.Sending)
            .ExecuteUpdateAsync(u => u.SetProperty(n => n.Status, NotificationStatus.Pending).SetProperty(n => n.Attempts, n => n.Attempts - 1)
                .SetProperty(n => n.RunId, (Guid?)null).SetProperty(n => n.NodeId, (Guid?)null), CancellationToken.None);

    /// <summary>
    /// Sending → delivered (a 2xx answer), else pending with its next attempt after the back-off, or failed once it has
    /// used <see cref="NotificationOptions.MaxAttempts"/> or the receiver refused the request for good (a 4xx other than
    /// 408, 425 and 429: the same request would be refused again, and a commit status after it would wait in vain).
    /// A retry is handed to the transport at once, with its delay.
    /// </summary>
    public async Task CompleteAsync(Notification notification, Guid runId, int? statusCode, string? error)
    {
        var now = clock.GetUtcNow();
        var o = options.Value;
        var delivered = error is null;
        var attempts = notification.Attempts; // as read after the claim, which counted this attempt
        var refused = statusCode is >= 400 and < 500 and not (408 or 425 or 429);
        var retry = !delivered && !refused && attempts < o.MaxAttempts;
        var next = retry ? now + o.RetryDelay(attempts) : now;
        var status = delivered ? NotificationStatus.Delivered : retry ? NotificationStatus.Pending : NotificationStatus.Failed;
        var changed = await db.Notifications.Where(n => n.Id == notification.Id && n.RunId == runId && n.Status == NotificationStatus.Sending)
            .ExecuteUpdateAsync(u => u.SetProperty(n => n.Status, status).SetProperty(n => n.LastStatusCode, statusCode)
                .SetProperty(n => n.LastError, Clip(error)).SetProperty(n => n.NextAttemptAt, next)
                .SetProperty(n => n.FinishedAt, retry ? null : now).SetProperty(n => n.RunId, (Guid?)null).SetProperty(n => n.NodeId, (Guid?)null)
                .SetProperty(n => n.JobId, (string?)null), CancellationToken.None) == 1;
        if (changed && retry) await DispatchAsync(new Notification { Id = notification.Id, NextAttemptAt = next }, CancellationToken.None);
    }

    /// <summary>Pending → pending until <paramref name="next"/>, the claim not made: an earlier notification to the same URL goes first.</summary>
    public async Task PostponeAsync(Notification notification, DateTimeOffset next, CancellationToken cancellationToken)
    {
        if (await db.Notifications.Where(n => n.Id == notification.Id && n.Status == NotificationStatus.Pending)
                .ExecuteUpdateAsync(u => u.SetProperty(n => n.NextAttemptAt, next), cancellationToken) == 1)
            await DispatchAsync(new Notification { Id = notification.Id, NextAttemptAt = next }, cancellationToken);
    }

    public Task<List<Notification>> AbandonedAsync(CancellationToken cancellationToken) =>
        leases.AbandonedAsync(db.Notifications.Where(n => n.Status == NotificationStatus.Sending), cancellationToken);

    /// <summary>Pending notifications due before the last sweep: the reconciler asks the transport whether their job is lost.</summary>
    public Task<List<Notification>> WaitingAsync(CancellationToken cancellationToken)
    {
        var settled = leases.WaitedSince;
        return db.Notifications.AsNoTracking().Where(n => n.Status == NotificationStatus.Pending && n.NextAttemptAt < settled).ToListAsync(cancellationToken);
    }

    /// <summary>An abandoned send: failed once it has used its attempts, else pending again, due now.</summary>
    public async Task RecoverAsync(Notification notification, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxAttempts;
        var failed = notification.Attempts >= max;
        var now = clock.GetUtcNow();
        var changed = await leases.EndAbandonedRunAsync(db.Notifications.Where(n => n.Id == notification.Id && n.Status == NotificationStatus.Sending), notification,
            u => u.SetProperty(n => n.Status, failed ? NotificationStatus.Failed : NotificationStatus.Pending).SetProperty(n => n.NextAttemptAt, now)
                .SetProperty(n => n.LastError, n => failed ? $"sending lost its worker; {max} attempts used" : n.LastError)
                .SetProperty(n => n.FinishedAt, failed ? now : null), cancellationToken);
        if (changed && !failed) await DispatchAsync(new Notification { Id = notification.Id, NextAttemptAt = now }, cancellationToken);
    }

    public async Task RequeueAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (await leases.TakeOverLostJobAsync(db.Notifications.Where(n => n.Id == notification.Id && n.Status == NotificationStatus.Pending), notification, cancellationToken))
            await DispatchAsync(notification, cancellationToken);
    }

    /// <summary>The build's notifications, oldest first.</summary>
    /// <exception cref="NotFoundException">No such build.</exception>
    public async Task<List<Notification>> OfBuildAsync(Guid buildId, CancellationToken cancellationToken)
    {
        if (!await db.Builds.AnyAsync(b => b.Id == buildId, cancellationToken)) throw BuildLifecycle.NotFound(buildId);
        return await db.Notifications.AsNoTracking().Where(n => n.BuildId == buildId).OrderBy(n => n.CreatedAt).ThenBy(n => n.Id).ToListAsync(cancellationToken);
    }

    private static string? Clip(string? error) => error is { Length: > MaxErrorLength } ? error[..MaxErrorLength] : error;
}
