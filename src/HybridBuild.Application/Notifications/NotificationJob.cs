namespace HybridBuild.Application.Notifications;

/// <summary>
/// Sends one notification: claims it with a lease, signs a webhook or authorises a commit status with its trigger's
/// token, and records the answer; a failure is retried with back-off by a new job (the lifecycle schedules it). Carries
/// only the notification's id; a delivery that finds it claimed, finished or not yet due does nothing.
/// </summary>
[AutomaticRetry(Attempts = 0)]
internal sealed partial class NotificationJob(BuildDbContext db, NotificationLifecycle notifications, LeaseWatch watch, NotificationSender sender,
    SecretCipher cipher, IOptions<NotificationOptions> options, TimeProvider clock, ILogger<NotificationJob> logger)
{
    /// <summary>How long a commit status waits for the one before it to be sent.</summary>
    private static readonly TimeSpan OrderWait = TimeSpan.FromSeconds(1);

    [JobDisplayName("notification {0}")]
    public async Task RunAsync(Guid notificationId, CancellationToken cancellationToken)
    {
        var waiting = await db.Notifications.AsNoTracking().FirstOrDefaultAsync(n => n.Id == notificationId, cancellationToken);
        if (waiting is not { Status: NotificationStatus.Pending }) return;
        if (await notifications.EarlierDueAsync(waiting, cancellationToken) is { } earlier)
        {
            // after the earlier one's next attempt (and at least a moment from now, should it be sending)
            var now = clock.GetUtcNow();
            await notifications.PostponeAsync(waiting, (earlier > now ? earlier : now) + OrderWait, cancellationToken);
            return;
        }
        var runId = Guid.NewGuid();
        if (!await notifications.ClaimAsync(notificationId, runId, cancellationToken)) return;
        var notification = await db.Notifications.AsNoTracking().FirstAsync(n => n.Id == notificationId, cancellationToken);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopWatch = new CancellationTokenSource();
        var watcher = watch.KeepAsync($"notification {notificationId}", (renew, ct) => notifications.HeartbeatAsync(notificationId, runId, renew, ct), run, stopWatch.Token);
        (int? Code, string? Error) answer;
        try
        {
            answer = await SendAsync(notification, run.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && watch.StoppedFor == LeaseState.Lost)
        {
            return; // another run holds it now
        }
        catch (OperationCanceledException)
        {
            await notifications.ReleaseAsync(notificationId, runId);
            throw;
        }
        finally
        {
            await stopWatch.CancelAsync();
            await watcher;
        }
        if (answer.Error is { } error) LogFailed(notificationId, notification.Attempts, error);
        await notifications.CompleteAsync(notification, runId, answer.Code, answer.Error);
    }

    private async Task<(int?, string?)> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        switch (notification.Kind)
        {
            case NotificationKind.Webhook:
                if (options.Value.ResolvedSigningSecret is not { } secret || !StandardWebhook.TryKey(secret, out var key))
                    return (null, "Notifications:SigningSecret is not configured");
                var id = $"msg_{notification.Id:N}"; // the same across attempts: receivers de-duplicate on it
                var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
                return await sender.SendAsync(notification, headers =>
                {
                    headers.Add(StandardWebhook.IdHeader, id);
                    headers.Add(StandardWebhook.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    headers.Add(StandardWebhook.SignatureHeader, StandardWebhook.Sign(key, id, timestamp, notification.Body));
                }, cancellationToken);
            default:
                var trigger = await db.Triggers.AsNoTracking().FirstOrDefaultAsync(t => t.Id == notification.TriggerId, cancellationToken);
                if (trigger?.ReportTokenCiphertext is not { } sealedToken) return (null, "the trigger was deleted, or reports no more");
                string token;
                try { token = Encoding.UTF8.GetString(cipher.Decrypt(TriggerService.ReportTokenContext(trigger.Id), sealedToken)); }
                catch (Exception e) when (e is CryptographicException or InvalidOperationException) { return (null, "the trigger's token cannot be decrypted"); }
                return await sender.SendAsync(notification, headers =>
                {
                    if (notification.Kind == NotificationKind.GitlabStatus) headers.Add("PRIVATE-TOKEN", token);
                    else
                    {
                        headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                        headers.Accept.ParseAdd("application/vnd.github+json");
                        headers.Add("X-GitHub-Api-Version", "2022-11-28");
                    }
                }, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} attempt {Attempt} failed: {Error}")]
    private partial void LogFailed(Guid notificationId, int attempt, string error);
}
