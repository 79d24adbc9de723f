namespace HybridBuild.Api.Tests;

/// <summary>A stage's timeout ends its solve; a stage that waits past its queueTtl for a worker ends expired.</summary>
[Collection(LiveService.Name)]
public sealed class StageLimitsTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    private static SourceSpec Dockerfile(string text) => new() { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = text } } };

    [Fact]
    public async Task A_stage_that_runs_past_its_timeout_is_failed_as_timed_out_and_its_dependents_are_skipped()
    {
        var build = await _api.SubmitAsync(new BuildSpec
        {
            Source = Dockerfile($"FROM busybox AS slow\nRUN echo {Guid.NewGuid():N} && sleep 300\nFROM busybox AS after\nRUN true\n"),
            Stages =
            [
                new StageSpec { Name = "slow", Target = "slow", Timeout = "00:00:05", Output = new OutputSpec { Type = OutputType.None } },
                new StageSpec { Name = "after", Target = "after", Needs = ["slow"], Output = new OutputSpec { Type = OutputType.None } },
            ],
        });
        Assert.Equal(TimeSpan.FromSeconds(5), build.Stages[0].Timeout);
        Assert.Null(build.Stages[1].Timeout);

        // 5 s of solve, at most Worker:StopGrace (30 s) to stop it, and the rest is slack: never the 300 s of the sleep
        var done = await _api.WaitFinishedAsync(build.Id, TimeSpan.FromMinutes(1));

        Assert.Equal(BuildStatus.Failed, done.Status);
        var slow = done.Stages.Single(s => s.Name == "slow");
        Assert.Equal(StageStatus.Failed, slow.Status);
        Assert.StartsWith("timed out after 00:00:05", slow.Error);
        Assert.Equal(StageStatus.Skipped, done.Stages.Single(s => s.Name == "after").Status);
        Assert.Contains("timed out after 00:00:05", await _api.LogAsync(build.Id, "slow"));
    }

    [Fact]
    public async Task A_stage_no_worker_takes_within_its_queue_ttl_expires_when_a_worker_comes_and_the_build_fails()
    {
        var database = await service.CreateDatabaseAsync();
        var shared = Directory.CreateTempSubdirectory("hybridbuild-ttl-").FullName;
        await using var api = ServiceProcess.Start("api", database, shared, ("Worker__Enabled", "false"));
        await api.WaitReadyAsync();
        using var client = api.CreateClient();
        var nodeApi = new BuildApi(client);
        var build = await nodeApi.SubmitAsync(new BuildSpec
        {
            Source = Dockerfile("FROM busybox AS s\nRUN true\n"),
            Stages =
            [
                new StageSpec { Name = "waits", Target = "s", QueueTtl = "00:00:02", Output = new OutputSpec { Type = OutputType.None } },
                new StageSpec { Name = "then", Target = "s", Needs = ["waits"], Output = new OutputSpec { Type = OutputType.None } },
            ],
        });
        Assert.Equal(TimeSpan.FromSeconds(2), build.Stages[0].QueueTtl);
        // no node runs work yet: the stage sits with the transport past its TTL
        var queued = await nodeApi.WaitAsync(build.Id, b => b.Stages[0].QueuedAt is not null, TimeSpan.FromSeconds(30));
        Assert.Equal(StageStatus.Queued, queued.Stages[0].Status);
        await Task.Delay(TimeSpan.FromSeconds(3));

        // a worker arrives: its delivery of the stage (or its sweep) expires the stage instead of running it
        await using var worker = ServiceProcess.Start("worker", database, shared, ("Api__Enabled", "false"));
        var done = await nodeApi.WaitFinishedAsync(build.Id, TimeSpan.FromMinutes(1));

        Assert.Equal(BuildStatus.Failed, done.Status);
        var waits = done.Stages.Single(s => s.Name == "waits");
        Assert.Equal(StageStatus.Expired, waits.Status);
        Assert.Null(waits.StartedAt);
        Assert.Contains("queue TTL of 00:00:02", waits.Error);
        Assert.Equal(StageStatus.Skipped, done.Stages.Single(s => s.Name == "then").Status);
        Assert.Contains("\"status\":\"expired\"", await client.GetStringAsync($"/api/v1/builds/{build.Id}"));
        Assert.DoesNotContain("Running stage", worker.Output);
        Directory.Delete(shared, recursive: true);
    }

    [Fact]
    public async Task The_sweep_expires_a_stage_queued_past_its_queue_ttl_even_with_no_worker_to_deliver_it()
    {
        var build = await StoreQueuedAsync(queueTtl: TimeSpan.FromSeconds(2), queuedFor: TimeSpan.FromMinutes(1));

        await using (var scope = service.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<HybridBuild.Application.Jobs.Reconciler>().RunAsync(CancellationToken.None);

        // the sweep above, or the recurring one if this node has only just started
        var done = await _api.WaitFinishedAsync(build, TimeSpan.FromSeconds(30));
        Assert.Equal(BuildStatus.Failed, done.Status);
        Assert.Equal(StageStatus.Expired, done.Stages.Single().Status);
        Assert.Contains("==> stage s: expired", await _api.LogAsync(build));
    }

    /// <summary>A build whose one stage was handed to a transport that lost it (no worker will ever deliver it) a while ago.</summary>
    private async Task<Guid> StoreQueuedAsync(TimeSpan queueTtl, TimeSpan queuedFor)
    {
        await using var scope = service.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HybridBuild.Data.BuildDbContext>();
        var id = Guid.CreateVersion7();
        var queuedAt = DateTimeOffset.UtcNow - queuedFor;
        db.Builds.Add(new Build
        {
            Id = id, Status = BuildStatus.Queued, CreatedAt = queuedAt, SourceKind = SourceKind.Inline,
            Stages =
            [
                new Stage
                {
                    Id = Guid.CreateVersion7(), Name = "s", Status = StageStatus.Queued, EnqueuedAt = queuedAt, QueueTtl = queueTtl, JobId = "gone",
                },
            ],
        });
        await db.SaveChangesAsync();
        return id;
    }
}
