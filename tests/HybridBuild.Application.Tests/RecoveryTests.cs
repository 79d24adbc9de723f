using HybridBuild.Application.Jobs;
using HybridBuild.Application.Nodes;
using HybridBuild.Core.Errors;
using HybridBuild.Core.Specs;
using Microsoft.Extensions.DependencyInjection;

namespace HybridBuild.Application.Tests;

/// <summary>The reconciler and the retry against real PostgreSQL and Hangfire's PostgreSQL storage, without a worker taking the jobs.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RecoveryTests(ApplicationFixture fixture) : CoreTest(fixture)
{
    [Theory]
    [InlineData(1, StageStatus.Queued)] // tried again, with a new job
    [InlineData(3, StageStatus.Failed)] // Worker:MaxAttempts runs lost: failed, not queued forever
    public async Task A_stage_held_by_a_node_that_stopped_reporting_is_recovered_at_the_next_sweep(int attempts, StageStatus after)
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Running, StageStatus.Running, "a");
        var stage = build.Stages.Single();
        // held by a node that has no heartbeat row at all (it died before its first, or was forgotten), reported just now
        await Core.WithAsync<BuildDbContext>(db => db.Stages.Where(s => s.Id == stage.Id).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.RunId, Guid.NewGuid()).SetProperty(s => s.NodeId, Guid.NewGuid())
            .SetProperty(s => s.HeartbeatAt, DateTimeOffset.UtcNow).SetProperty(s => s.Attempts, attempts)));
        // made before the sweep's settling window, so the same sweep also moves the build on
        await Core.WithAsync<BuildDbContext>(db => db.Builds.Where(b => b.Id == build.Id).ExecuteUpdateAsync(u => u.SetProperty(b => b.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-1))));
        await using (var scope = Core.Scope())
            scope.ServiceProvider.GetRequiredService<NodeIdentity>().Reported(DateTimeOffset.UtcNow.AddMinutes(-5)); // this node has been healthy a while

        var acted = await Core.WithAsync<Reconciler, int>(r => r.RunAsync(CancellationToken.None));

        Assert.True(acted >= 1);
        var stored = await Core.WithAsync<BuildDbContext, Stage>(db => db.Stages.AsNoTracking().SingleAsync(s => s.Id == stage.Id));
        Assert.Equal(after, stored.Status);
        Assert.Null(stored.RunId);
        if (after == StageStatus.Queued)
        {
            Assert.NotNull(stored.JobId);
            Assert.Equal(1, Core.Jobs.GetMonitoringApi().EnqueuedCount("stages"));
        }
        else
        {
            Assert.Equal($"the stage lost its worker {attempts} times", stored.Error);
            var settled = await Core.WithAsync<BuildDbContext, BuildStatus>(db => db.Builds.Where(b => b.Id == build.Id).Select(b => b.Status).SingleAsync());
            Assert.Equal(BuildStatus.Failed, settled);
        }
    }

    [Fact]
    public async Task A_node_that_has_just_reached_the_database_again_recovers_nothing_until_every_live_node_could_report()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Running, StageStatus.Running, "a");
        await Core.WithAsync<BuildDbContext>(db => db.Stages.Where(s => s.BuildId == build.Id).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.RunId, Guid.NewGuid()).SetProperty(s => s.NodeId, Guid.NewGuid()).SetProperty(s => s.HeartbeatAt, DateTimeOffset.UtcNow)));
        await using (var scope = Core.Scope())
            scope.ServiceProvider.GetRequiredService<NodeIdentity>().Reported(DateTimeOffset.UtcNow); // healthy only since now

        Assert.Equal(0, await Core.WithAsync<Reconciler, int>(r => r.RunAsync(CancellationToken.None)));
        Assert.Equal(StageStatus.Running, await Core.WithAsync<BuildDbContext, StageStatus>(db => db.Stages.Where(s => s.BuildId == build.Id).Select(s => s.Status).SingleAsync()));
    }

    [Fact]
    public async Task Of_two_retries_of_a_failed_build_at_once_exactly_one_starts_its_second_attempt()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Failed, StageStatus.Failed, "a");
        // the failed attempt's follow-ups were never made: the next attempt settles, and owes them, afresh
        await Core.WithAsync<BuildDbContext>(db => db.Builds.Where(b => b.Id == build.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.FollowUpsDueSince, DateTimeOffset.UtcNow.AddMinutes(-10))));

        var retries = await Task.WhenAll(RetryAsync(build.Id), RetryAsync(build.Id));

        Assert.Single(retries, r => r is null);
        Assert.Single(retries, r => r is ConflictException);
        var stored = await Core.WithAsync<BuildDbContext, Build>(db => db.Builds.AsNoTracking().Include(b => b.Stages).SingleAsync(b => b.Id == build.Id));
        Assert.Equal(2, stored.Attempt);
        Assert.Null(stored.FollowUpsDueSince);
        Assert.Equal(StageStatus.Queued, stored.Stages.Single().Status);
        Assert.NotNull(stored.Stages.Single().JobId); // handed to the transport once
        Assert.Equal(1, Core.Jobs.GetMonitoringApi().EnqueuedCount("stages"));
    }

    [Fact]
    public async Task A_reproduction_whose_node_stopped_after_the_settle_gets_its_verdict_written_at_the_next_sweep()
    {
        var original = await StoredBuilds.StoreAsync(Core, BuildStatus.Succeeded, StageStatus.Succeeded, "a");
        var rebuild = await StoredBuilds.StoreAsync(Core, BuildStatus.Failed, StageStatus.Failed, "a");
        var recent = await StoredBuilds.StoreAsync(Core, BuildStatus.Failed, StageStatus.Failed, "a");
        var reproducedAgain = await StoredBuilds.StoreAsync(Core, BuildStatus.Succeeded, StageStatus.Succeeded, "a");
        var superseded = await StoredBuilds.StoreAsync(Core, BuildStatus.Failed, StageStatus.Failed, "a");
        var later = Guid.CreateVersion7();
        // the reproduction settled failed, and its node stopped before writing the verdict on the original; another
        // settled a moment ago, whose node may still be making its follow-ups (they hold no lease, so they get a lease's time)
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            var stored = await db.Builds.ToDictionaryAsync(b => b.Id);
            stored[original.Id].Reproduction = new ReproductionResult { BuildId = rebuild.Id, Status = ReproductionStatus.Running };
            stored[rebuild.Id].ReproductionOf = original.Id;
            stored[rebuild.Id].FollowUpsDueSince = DateTimeOffset.UtcNow.AddMinutes(-10); // over Worker:LeaseTimeout
            stored[recent.Id].FollowUpsDueSince = DateTimeOffset.UtcNow;
            // and one whose original has since started a later reproduction: its verdict written now would replace that one's
            stored[superseded.Id].ReproductionOf = reproducedAgain.Id;
            stored[superseded.Id].FollowUpsDueSince = DateTimeOffset.UtcNow.AddMinutes(-10);
            stored[reproducedAgain.Id].Reproduction = new ReproductionResult { BuildId = later, Status = ReproductionStatus.Running };
            await db.SaveChangesAsync();
        });
        await using (var scope = Core.Scope())
            scope.ServiceProvider.GetRequiredService<NodeIdentity>().Reported(DateTimeOffset.UtcNow.AddMinutes(-5));

        await Core.WithAsync<Reconciler, int>(r => r.RunAsync(CancellationToken.None));

        var after = await Core.WithAsync<BuildDbContext, Dictionary<Guid, Build>>(db => db.Builds.AsNoTracking().ToDictionaryAsync(b => b.Id));
        Assert.Equal(ReproductionStatus.Failed, after[original.Id].Reproduction!.Status);
        Assert.Contains(rebuild.Id.ToString(), after[original.Id].Reproduction!.Error);
        Assert.Null(after[rebuild.Id].FollowUpsDueSince);
        Assert.NotNull(after[recent.Id].FollowUpsDueSince);
        Assert.Equal((later, ReproductionStatus.Running), (after[reproducedAgain.Id].Reproduction!.BuildId, after[reproducedAgain.Id].Reproduction!.Status));
        Assert.Null(after[superseded.Id].FollowUpsDueSince);
    }

    [Fact]
    public async Task A_settle_is_stored_with_its_notifications_or_not_at_all()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Running, StageStatus.Succeeded, "a");
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            var stored = await db.Builds.SingleAsync(b => b.Id == build.Id);
            stored.Notify = [new NotifySpec { Url = "https://receiver.example/hook", Events = ["build.succeeded"] }];
            await db.SaveChangesAsync();
            // the database refuses the notification's row, as a connection lost between two statements would
            await db.Database.ExecuteSqlRawAsync("""
                CREATE FUNCTION hybridbuild.refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                CREATE TRIGGER refuse BEFORE INSERT ON hybridbuild.notifications FOR EACH ROW EXECUTE FUNCTION hybridbuild.refuse_row();
                """);
        });

        await Assert.ThrowsAnyAsync<Exception>(() => Core.WithAsync<BuildLifecycle, DateTimeOffset?>(l => l.SettleAsync(build.Id, BuildStatus.Succeeded, CancellationToken.None)));

        Assert.Equal(BuildStatus.Running, await Core.WithAsync<BuildDbContext, BuildStatus>(db => db.Builds.Where(b => b.Id == build.Id).Select(b => b.Status).SingleAsync()));
        await Core.WithAsync<BuildDbContext>(db => db.Database.ExecuteSqlRawAsync("DROP TRIGGER refuse ON hybridbuild.notifications"));

        var mark = await Core.WithAsync<BuildLifecycle, DateTimeOffset?>(l => l.SettleAsync(build.Id, BuildStatus.Succeeded, CancellationToken.None));

        var settled = await Core.WithAsync<BuildDbContext, Build>(db => db.Builds.AsNoTracking().SingleAsync(b => b.Id == build.Id));
        Assert.Equal(BuildStatus.Succeeded, settled.Status);
        Assert.NotNull(mark);
        Assert.Equal(mark, settled.FollowUpsDueSince); // the settling caller makes them next, and clears its own mark
        await Core.WithAsync<BuildLifecycle>(l => l.FollowedUpAsync(build.Id, mark.Value, CancellationToken.None));
        Assert.Null(await Core.WithAsync<BuildDbContext, DateTimeOffset?>(db => db.Builds.Where(b => b.Id == build.Id).Select(b => b.FollowUpsDueSince).SingleAsync()));
        var notification = await Core.WithAsync<BuildDbContext, Notification>(db => db.Notifications.AsNoTracking().SingleAsync(n => n.BuildId == build.Id));
        Assert.Equal("build.succeeded", notification.Event);
        Assert.NotNull(notification.JobId); // handed to the transport once stored
    }

    [Fact]
    public async Task A_builds_own_reproduction_is_made_once_however_often_its_follow_ups_run()
    {
        var original = await StoredBuilds.StoreAsync(Core, BuildStatus.Succeeded, StageStatus.Succeeded, "a");
        var reproduced = Guid.CreateVersion7();
        // its reproduction has already run and ended: a follow-up made again must not start another
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            var stored = await db.Builds.SingleAsync(b => b.Id == original.Id);
            stored.Reproduce = true;
            stored.Reproduction = new ReproductionResult { BuildId = reproduced, Status = ReproductionStatus.Reproducible };
            await db.SaveChangesAsync();
        });

        var again = await Record.ExceptionAsync(() => Core.WithAsync<Reproducibility.Reproductions, Build>(r => r.CreateAsync(original.Id, caller: null, CancellationToken.None)));
        var asked = await Core.WithAsync<Reproducibility.Reproductions, Build>(r => r.CreateAsync(original.Id, new Secrets.Caller(null, "admin", IsAdmin: true), CancellationToken.None));

        Assert.Equal("reproduction-made", Assert.IsType<ConflictException>(again).Slug);
        Assert.Equal(original.Id, asked.ReproductionOf); // asked for by someone, it is made again
        Assert.Equal(2, await Core.WithAsync<BuildDbContext, int>(db => db.Builds.CountAsync()));
    }

    private async Task<Exception?> RetryAsync(Guid buildId)
    {
        try
        {
            await Core.WithAsync<BuildScheduler>(s => s.RetryAsync(buildId, new Secrets.Caller(null, "admin", IsAdmin: true), CancellationToken.None));
            return null;
        }
        catch (ConflictException e)
        {
            return e;
        }
    }
}
