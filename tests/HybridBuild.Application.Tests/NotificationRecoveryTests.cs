using HybridBuild.Application.Jobs;
using HybridBuild.Application.Notifications;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Application.Tests;

/// <summary>
/// Commit statuses and webhooks whose run or job is gone, recovered by their lifecycle against real PostgreSQL: pending
/// again with one new job, failed once every attempt is used, or left alone when their run reported meanwhile.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NotificationRecoveryTests(ApplicationFixture fixture) : CoreTest(fixture)
{
    [Theory]
    [InlineData(1, NotificationStatus.Pending)]
    [InlineData(8, NotificationStatus.Failed)]
    public async Task An_abandoned_notification_is_pending_again_with_a_new_job_or_failed_after_its_last_attempt(int attempts, NotificationStatus after)
    {
        var seen = await StoreAsync(NotificationStatus.Sending, attempts);

        await Core.WithAsync<NotificationLifecycle>(n => n.RecoverAsync(seen, CancellationToken.None));

        var stored = await NotificationAsync(seen.Id);
        Assert.Equal(after, stored.Status);
        Assert.Null(stored.RunId);
        Assert.Null(stored.NodeId);
        Assert.Equal(after == NotificationStatus.Pending ? 1 : 0, EnqueuedCount());
        if (after == NotificationStatus.Pending) Assert.NotNull(stored.JobId);
        else Assert.Equal("sending lost its worker; 8 attempts used", stored.LastError);
    }

    [Fact]
    public async Task A_notification_whose_run_reported_after_it_was_seen_abandoned_stays_with_its_run()
    {
        var seen = await StoreAsync(NotificationStatus.Sending, 1);
        await Core.WithAsync<BuildDbContext>(db => db.Notifications.Where(n => n.Id == seen.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(n => n.HeartbeatAt, seen.HeartbeatAt!.Value.AddSeconds(1))));

        await Core.WithAsync<NotificationLifecycle>(n => n.RecoverAsync(seen, CancellationToken.None));

        var stored = await NotificationAsync(seen.Id);
        Assert.Equal((NotificationStatus.Sending, seen.RunId), (stored.Status, stored.RunId));
        Assert.Equal(0, EnqueuedCount());
    }

    [Fact]
    public async Task A_pending_notification_whose_job_is_lost_is_handed_to_the_transport_once_by_two_sweeps()
    {
        var seen = await StoreAsync(NotificationStatus.Pending, 2);

        await Task.WhenAll(
            Core.WithAsync<NotificationLifecycle>(n => n.RequeueAsync(seen, CancellationToken.None)),
            Core.WithAsync<NotificationLifecycle>(n => n.RequeueAsync(seen, CancellationToken.None)));

        var stored = await NotificationAsync(seen.Id);
        Assert.Equal(NotificationStatus.Pending, stored.Status);
        Assert.NotEqual(seen.JobId, stored.JobId);
        Assert.Equal(1, EnqueuedCount());
    }

    /// <summary>A build's webhook, as a sweep reads it: sending under a run of a node that is gone, or pending with a lost job.</summary>
    private async Task<Notification> StoreAsync(NotificationStatus status, int attempts)
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Succeeded, StageStatus.Succeeded, "a");
        var sending = status == NotificationStatus.Sending;
        var notification = new Notification
        {
            Id = Guid.CreateVersion7(), BuildId = build.Id, Kind = NotificationKind.Webhook, Event = "build.succeeded", Url = "http://127.0.0.1:9/hook",
            Body = "{}", Status = status, CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-5), NextAttemptAt = DateTimeOffset.UtcNow.AddMinutes(-4),
            Attempts = attempts, JobId = "lost-job", RunId = sending ? Guid.NewGuid() : null, NodeId = sending ? Guid.NewGuid() : null,
            HeartbeatAt = sending ? DateTimeOffset.UtcNow.AddMinutes(-4) : null,
        };
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            db.Notifications.Add(notification);
            await db.SaveChangesAsync();
        });
        return await NotificationAsync(notification.Id);
    }

    private Task<Notification> NotificationAsync(Guid id) =>
        Core.WithAsync<BuildDbContext, Notification>(db => db.Notifications.AsNoTracking().SingleAsync(n => n.Id == id));

    private long EnqueuedCount() => Core.Jobs.GetMonitoringApi().EnqueuedCount(HangfireJobDispatcher.QueueOf(JobKind.Notification));
}
