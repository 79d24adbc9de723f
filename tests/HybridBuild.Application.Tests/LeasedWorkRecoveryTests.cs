using HybridBuild.Application.Jobs;
using HybridBuild.Application.Publications;
using HybridBuild.Application.Triggers;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Application.Tests;

/// <summary>
/// Publications and webhook deliveries whose run or job is gone, recovered by their lifecycles against real PostgreSQL:
/// queued again with one new job, failed after Worker:MaxAttempts runs lost, or left alone when their run reported meanwhile.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LeasedWorkRecoveryTests(ApplicationFixture fixture) : CoreTest(fixture)
{
    [Theory]
    [InlineData(1, PublicationStatus.Queued)]
    [InlineData(3, PublicationStatus.Failed)]
    public async Task An_abandoned_publication_is_queued_again_with_a_new_job_or_failed_after_its_last_attempt(int attempts, PublicationStatus after)
    {
        var seen = await StorePublicationAsync(PublicationStatus.Running, attempts);

        await Core.WithAsync<PublicationLifecycle>(p => p.RecoverAsync(seen, CancellationToken.None));

        var stored = await PublicationAsync(seen.Id);
        Assert.Equal(after, stored.Status);
        Assert.Null(stored.RunId);
        Assert.Null(stored.NodeId);
        Assert.Null(stored.StartedAt);
        if (after == PublicationStatus.Queued)
        {
            Assert.NotNull(stored.JobId);
            Assert.Null(stored.Error);
            Assert.Equal(1, EnqueuedCount(JobKind.Publication));
        }
        else
        {
            Assert.Null(stored.JobId);
            Assert.Equal($"the publication lost its worker {attempts} times", stored.Error);
            Assert.NotNull(stored.FinishedAt);
            Assert.Equal(0, EnqueuedCount(JobKind.Publication));
        }
    }

    [Fact]
    public async Task A_publication_whose_run_reported_after_it_was_seen_abandoned_stays_with_its_run()
    {
        var seen = await StorePublicationAsync(PublicationStatus.Running, 1);
        await Core.WithAsync<BuildDbContext>(db => db.Publications.Where(p => p.Id == seen.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.HeartbeatAt, seen.HeartbeatAt!.Value.AddSeconds(1))));

        await Core.WithAsync<PublicationLifecycle>(p => p.RecoverAsync(seen, CancellationToken.None));

        var stored = await PublicationAsync(seen.Id);
        Assert.Equal(PublicationStatus.Running, stored.Status);
        Assert.Equal(seen.RunId, stored.RunId);
        Assert.Equal(0, EnqueuedCount(JobKind.Publication));
    }

    [Fact]
    public async Task A_queued_publication_whose_job_is_lost_is_handed_to_the_transport_once_by_two_sweeps()
    {
        var seen = await StorePublicationAsync(PublicationStatus.Queued, 0);

        await Task.WhenAll(
            Core.WithAsync<PublicationLifecycle>(p => p.RequeueAsync(seen, CancellationToken.None)),
            Core.WithAsync<PublicationLifecycle>(p => p.RequeueAsync(seen, CancellationToken.None)));

        var stored = await PublicationAsync(seen.Id);
        Assert.Equal(PublicationStatus.Queued, stored.Status);
        Assert.NotEqual(seen.JobId, stored.JobId);
        Assert.Equal(1, EnqueuedCount(JobKind.Publication));
    }

    [Theory]
    [InlineData(1, DeliveryOutcome.Queued)]
    [InlineData(3, DeliveryOutcome.Failed)]
    public async Task An_abandoned_delivery_is_queued_again_with_a_new_job_or_failed_after_its_last_attempt(int attempts, DeliveryOutcome after)
    {
        var seen = await StoreDeliveryAsync(DeliveryOutcome.Running, attempts);

        await Core.WithAsync<DeliveryLifecycle>(d => d.RecoverAsync(seen, CancellationToken.None));

        var stored = await DeliveryAsync(seen.Id);
        Assert.Equal(after, stored.Outcome);
        Assert.Null(stored.RunId);
        Assert.Null(stored.NodeId);
        if (after == DeliveryOutcome.Queued)
        {
            Assert.NotNull(stored.JobId);
            Assert.Null(stored.Reason);
            Assert.Equal(1, EnqueuedCount(JobKind.SpecFile));
        }
        else
        {
            Assert.Null(stored.JobId);
            Assert.Equal($"reading the spec file lost its worker {attempts} times", stored.Reason);
            Assert.Equal(0, EnqueuedCount(JobKind.SpecFile));
        }
    }

    [Fact]
    public async Task A_delivery_whose_run_reported_after_it_was_seen_abandoned_stays_with_its_run()
    {
        var seen = await StoreDeliveryAsync(DeliveryOutcome.Running, 1);
        await Core.WithAsync<BuildDbContext>(db => db.TriggerDeliveries.Where(d => d.Id == seen.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.HeartbeatAt, seen.HeartbeatAt!.Value.AddSeconds(1))));

        await Core.WithAsync<DeliveryLifecycle>(d => d.RecoverAsync(seen, CancellationToken.None));

        var stored = await DeliveryAsync(seen.Id);
        Assert.Equal(DeliveryOutcome.Running, stored.Outcome);
        Assert.Equal(seen.RunId, stored.RunId);
        Assert.Equal(0, EnqueuedCount(JobKind.SpecFile));
    }

    [Fact]
    public async Task A_queued_delivery_whose_job_is_lost_is_handed_to_the_transport_once_by_two_sweeps()
    {
        var seen = await StoreDeliveryAsync(DeliveryOutcome.Queued, 0);

        await Task.WhenAll(
            Core.WithAsync<DeliveryLifecycle>(d => d.RequeueAsync(seen, CancellationToken.None)),
            Core.WithAsync<DeliveryLifecycle>(d => d.RequeueAsync(seen, CancellationToken.None)));

        var stored = await DeliveryAsync(seen.Id);
        Assert.Equal(DeliveryOutcome.Queued, stored.Outcome);
        Assert.NotEqual(seen.JobId, stored.JobId);
        Assert.Equal(1, EnqueuedCount(JobKind.SpecFile));
    }

    /// <summary>A publication of a finished build, as a sweep reads it: running under a run of a node that is gone, or queued with a lost job.</summary>
    private async Task<Publication> StorePublicationAsync(PublicationStatus status, int attempts)
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Succeeded, StageStatus.Succeeded, "a");
        var running = status == PublicationStatus.Running;
        var publication = new Publication
        {
            Id = Guid.CreateVersion7(), BuildId = build.Id, Target = "t", Status = status, CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-5),
            StartedAt = running ? DateTimeOffset.UtcNow.AddMinutes(-4) : null, Attempts = attempts, JobId = "lost-job",
            RunId = running ? Guid.NewGuid() : null, NodeId = running ? Guid.NewGuid() : null,
            HeartbeatAt = running ? DateTimeOffset.UtcNow.AddMinutes(-4) : null,
        };
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            db.Publications.Add(publication);
            await db.SaveChangesAsync();
        });
        return await PublicationAsync(publication.Id);
    }

    /// <summary>A delivery whose spec file is read by a job, as a sweep reads it: running under a run of a node that is gone, or queued with a lost job.</summary>
    private async Task<TriggerDelivery> StoreDeliveryAsync(DeliveryOutcome outcome, int attempts)
    {
        var running = outcome == DeliveryOutcome.Running;
        var delivery = new TriggerDelivery
        {
            Id = Guid.CreateVersion7(), TriggerId = Guid.NewGuid(), DeliveryKey = Guid.NewGuid().ToString(), Event = "push",
            Ref = "refs/heads/main", Commit = new string('a', 40), Outcome = outcome, ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-5),
            Attempts = attempts, JobId = "lost-job",
            RunId = running ? Guid.NewGuid() : null, NodeId = running ? Guid.NewGuid() : null,
            HeartbeatAt = running ? DateTimeOffset.UtcNow.AddMinutes(-4) : null,
        };
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            db.TriggerDeliveries.Add(delivery);
            await db.SaveChangesAsync();
        });
        return await DeliveryAsync(delivery.Id);
    }

    private Task<Publication> PublicationAsync(Guid id) =>
        Core.WithAsync<BuildDbContext, Publication>(db => db.Publications.AsNoTracking().SingleAsync(p => p.Id == id));

    private Task<TriggerDelivery> DeliveryAsync(Guid id) =>
        Core.WithAsync<BuildDbContext, TriggerDelivery>(db => db.TriggerDeliveries.AsNoTracking().SingleAsync(d => d.Id == id));

    private long EnqueuedCount(JobKind kind) => Core.Jobs.GetMonitoringApi().EnqueuedCount(HangfireJobDispatcher.QueueOf(kind));
}
