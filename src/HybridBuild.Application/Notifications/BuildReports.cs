namespace HybridBuild.Application.Notifications;

/// <summary>
/// Turns a build's state change into the notifications it owes: a commit status when a trigger with report settings
/// started the build of a commit, and a signed webhook to each <c>notify</c> receiver that asked for the event. The rows
/// are stored in the same transaction as the change (<see cref="RecordAsync"/>), so a node that stops right after it
/// cannot lose them, then handed to the transport once it is committed (<see cref="DispatchAsync"/>); a row the transport
/// never got is handed over again by the reconciler.
/// </summary>
internal sealed partial class BuildReports(BuildDbContext db, NotificationLifecycle notifications, IOptions<NotificationOptions> options,
    TimeProvider clock, ILogger<BuildReports> logger)
{
    public static string EventOf(BuildStatus status) => status switch
    {
        BuildStatus.Queued => "build.queued",
        BuildStatus.Running => "build.started",
        _ => "build." + status.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Stores the notifications the build's change to <paramref name="status"/> owes, inside the caller's transaction (after
    /// the change itself); returns them, for <see cref="DispatchAsync"/> once that transaction is committed. A database
    /// error fails the caller's unit of work (which its execution strategy repeats); any other fault in planning is logged
    /// and owes nothing, since a report is not worth failing the build's own change.
    /// </summary>
    public async Task<IReadOnlyList<Notification>> RecordAsync(Guid buildId, BuildStatus status, CancellationToken cancellationToken)
    {
        List<Notification> planned;
        try
        {
            planned = await PlanAsync(buildId, status, cancellationToken);
        }
        catch (Exception e) when (e is not (OperationCanceledException or System.Data.Common.DbException))
        {
            LogPlanFailed(e, buildId, status);
            return [];
        }
        if (planned.Count == 0) return planned;
        db.Notifications.AddRange(planned);
        await db.SaveChangesAsync(cancellationToken);
        return planned;
    }

    /// <summary>Hands recorded notifications to the transport; never throws (the reconciler hands over any it could not).</summary>
    public async Task DispatchAsync(IReadOnlyList<Notification> recorded)
    {
        foreach (var notification in recorded)
        {
            try
            {
                await notifications.DispatchAsync(notification, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogDispatchFailed(e, notification.Id, notification.BuildId);
            }
        }
    }

    private async Task<List<Notification>> PlanAsync(Guid buildId, BuildStatus status, CancellationToken cancellationToken)
    {
        var build = await db.Builds.AsNoTracking().Where(b => b.Id == buildId)
            .Select(b => new { b.Notify, b.TriggerId, b.GitRef, b.GitCommit, b.Status, b.Attempt }).FirstOrDefaultAsync(cancellationToken);
        if (build is null) return [];
        var now = clock.GetUtcNow();
        var @event = EventOf(status);
        List<Notification> planned = [];
        if (build.TriggerId is { } triggerId && (build.GitCommit ?? build.GitRef) is { } sha && IsSha(sha)
            && await db.Triggers.AsNoTracking().FirstOrDefaultAsync(t => t.Id == triggerId, cancellationToken) is { Report: { } report } trigger)
        {
            var kind = CommitStatuses.KindOf(trigger.Provider);
            planned.Add(New(buildId, kind, @event, CommitStatuses.Url(kind, report, sha),
                CommitStatuses.Body(kind, status, options.Value.BuildUrl(buildId), report.Context, buildId), now, triggerId));
        }
        foreach (var receiver in build.Notify.Where(n => n.Url is not null && (n.Events is not { Count: > 0 } events || events.Contains(@event))))
            planned.Add(New(buildId, NotificationKind.Webhook, @event, receiver.Url!, WebhookBody(buildId, @event, status, build.Attempt, build.GitCommit, now), now, null));
        return planned;
    }

    private static Notification New(Guid buildId, NotificationKind kind, string @event, string url, string body, DateTimeOffset now, Guid? triggerId) => new()
    {
        Id = Guid.CreateVersion7(), BuildId = buildId, Kind = kind, Event = @event, Url = url, Body = body, TriggerId = triggerId,
        Status = NotificationStatus.Pending, CreatedAt = now, NextAttemptAt = now,
    };

    /// <summary>The Standard Webhooks payload: <c>type</c>, <c>timestamp</c> and the event's <c>data</c>.</summary>
    private string WebhookBody(Guid buildId, string @event, BuildStatus status, int attempt, string? commit, DateTimeOffset now) =>
        JsonSerializer.Serialize(new
        {
            type = @event,
            timestamp = now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            data = new { buildId, status = status.ToString().ToLowerInvariant(), attempt, commit, url = options.Value.BuildUrl(buildId) },
        });

    private static bool IsSha(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigitLower);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The notifications of build {BuildId} becoming {Status} could not be planned")]
    private partial void LogPlanFailed(Exception exception, Guid buildId, BuildStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} of build {BuildId} is stored but could not be handed to the transport; the reconciler hands it over")]
    private partial void LogDispatchFailed(Exception exception, Guid notificationId, Guid buildId);
}
