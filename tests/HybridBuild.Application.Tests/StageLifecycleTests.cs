namespace HybridBuild.Application.Tests;

/// <summary>A stage's state changes against real PostgreSQL: callers that race on one stage, on any node, leave one winner.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StageLifecycleTests(ApplicationFixture fixture) : CoreTest(fixture)
{
    [Fact]
    public async Task Of_two_claims_of_a_queued_stage_exactly_one_wins_and_holds_it()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Queued, StageStatus.Queued, "a");
        var stage = build.Stages.Single();
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());

        var claims = await Task.WhenAll(
            Core.WithAsync<StageLifecycle, bool>(s => s.ClaimAsync(stage.Id, first, CancellationToken.None)),
            Core.WithAsync<StageLifecycle, bool>(s => s.ClaimAsync(stage.Id, second, CancellationToken.None)));

        Assert.Single(claims, won => won);
        var stored = await StageAsync(stage.Id);
        Assert.Equal(StageStatus.Running, stored.Status);
        Assert.Equal(claims[0] ? first : second, stored.RunId);
        Assert.Equal(1, stored.Attempts);
    }

    [Fact]
    public async Task A_ready_stage_enqueued_by_two_callers_at_once_is_handed_to_the_transport_once()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Queued, StageStatus.Queued, "a");
        var stage = build.Stages.Single();

        await Task.WhenAll(
            Core.WithAsync<StageLifecycle>(s => s.EnqueueAsync(stage.Id, CancellationToken.None)),
            Core.WithAsync<StageLifecycle>(s => s.EnqueueAsync(stage.Id, CancellationToken.None)));

        var stored = await StageAsync(stage.Id);
        Assert.NotNull(stored.JobId);
        Assert.Equal(1, Core.Jobs.GetMonitoringApi().EnqueuedCount("stages"));
    }

    [Fact]
    public async Task A_stage_queued_past_its_queue_ttl_expires_once_and_one_a_worker_claimed_does_not()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Queued, StageStatus.Queued, "late", "taken");
        var longAgo = DateTimeOffset.UtcNow.AddMinutes(-10);
        await Core.WithAsync<BuildDbContext>(db => db.Stages.Where(s => s.BuildId == build.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EnqueuedAt, longAgo).SetProperty(s => s.QueueTtl, TimeSpan.FromMinutes(1))));
        var taken = build.Stages.Single(s => s.Name == "taken");
        Assert.True(await Core.WithAsync<StageLifecycle, bool>(s => s.ClaimAsync(taken.Id, Guid.NewGuid(), CancellationToken.None)));

        var late = await StageAsync(build.Stages.Single(s => s.Name == "late").Id);
        var expired = await Task.WhenAll(
            Core.WithAsync<StageLifecycle, bool>(s => s.ExpireAsync(late, CancellationToken.None)),
            Core.WithAsync<StageLifecycle, bool>(s => s.ExpireAsync(late, CancellationToken.None)));
        var takenNow = await StageAsync(taken.Id);
        var stillTaken = await Core.WithAsync<StageLifecycle, bool>(s => s.ExpireAsync(takenNow, CancellationToken.None));

        Assert.Single(expired, e => e);
        Assert.False(stillTaken);
        Assert.Equal(StageStatus.Expired, (await StageAsync(late.Id)).Status);
        Assert.StartsWith("expired: no worker took the stage within its queue TTL of", (await StageAsync(late.Id)).Error);
        Assert.Equal(StageStatus.Running, (await StageAsync(taken.Id)).Status);
    }

    [Fact]
    public async Task Two_stages_that_resolve_a_git_ref_at_once_both_get_the_commit_that_was_pinned_first()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Running, StageStatus.Running, "a", "b");
        var (one, two) = (new string('1', 40), new string('2', 40));

        var pinned = await Task.WhenAll(
            Core.WithAsync<BuildLifecycle, string>(b => b.PinCommitAsync(build.Id, one, CancellationToken.None)),
            Core.WithAsync<BuildLifecycle, string>(b => b.PinCommitAsync(build.Id, two, CancellationToken.None)));

        Assert.Equal(pinned[0], pinned[1]);
        Assert.Contains(pinned[0], new[] { one, two });
        Assert.Equal(pinned[0], await Core.WithAsync<BuildDbContext, string?>(db => db.Builds.Where(b => b.Id == build.Id).Select(b => b.GitCommit).SingleAsync()));
    }

    private Task<Stage> StageAsync(Guid id) =>
        Core.WithAsync<BuildDbContext, Stage>(db => db.Stages.AsNoTracking().Include(s => s.Build).SingleAsync(s => s.Id == id));
}
