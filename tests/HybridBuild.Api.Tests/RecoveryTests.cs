using HybridBuild.Application.Pipeline;
using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Sources;
using HybridBuild.Data;

namespace HybridBuild.Api.Tests;

/// <summary>The sweep recovers stages whose worker died: it runs them again, or records their build's cancellation.</summary>
[Collection(LiveService.Name)]
public sealed class RecoveryTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    [Fact]
    public async Task A_stage_whose_worker_stopped_reporting_is_run_again_by_the_sweep()
    {
        var buildId = await StoreOrphanAsync(cancelRequested: false);

        await SweepAsync();

        var done = await _api.WaitSucceededAsync(buildId);
        var stage = done.Stages.Single();
        Assert.Equal("recovered\n", await service.Client.GetStringAsync(stage.Artifacts!.Single().Href));
    }

    [Fact]
    public async Task A_stale_stage_of_a_cancelled_build_is_recorded_as_cancelled_and_the_build_settles()
    {
        var buildId = await StoreOrphanAsync(cancelRequested: true);

        await SweepAsync();

        var done = await _api.WaitFinishedAsync(buildId, TimeSpan.FromSeconds(30));
        Assert.Equal(BuildStatus.Cancelled, done.Status);
        Assert.Equal(StageStatus.Cancelled, done.Stages.Single().Status);
    }

    [Fact]
    public async Task A_stage_delivered_three_times_runs_once_and_its_run_renews_its_lease()
    {
        var build = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = $"FROM busybox AS s\nRUN echo {Guid.NewGuid():N} && sleep 7\n" } } },
            Stages = [new StageSpec { Name = "s", Target = "s", Output = new OutputSpec { Type = OutputType.None } }],
        });
        await _api.WaitAsync(build.Id, b => b.Stages.Single().Status == StageStatus.Running, TimeSpan.FromMinutes(1));
        await using (var scope = service.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BuildDbContext>();
            var stageId = db.Stages.Single(s => s.BuildId == build.Id).Id;
            var jobs = scope.ServiceProvider.GetRequiredService<IJobDispatcher>();
            jobs.Dispatch(JobKind.Stage, stageId); // at-least-once delivery: the same stage handed out again while it runs
            jobs.Dispatch(JobKind.Stage, stageId);
        }

        await _api.WaitSucceededAsync(build.Id);
        await Task.Delay(1000); // give the extra deliveries time to run (and find nothing to do)

        await using (var scope = service.Services.CreateAsyncScope())
        {
            var stage = scope.ServiceProvider.GetRequiredService<BuildDbContext>().Stages.Single(s => s.BuildId == build.Id);
            Assert.Equal(1, stage.Attempts);
            // the run reported while BuildKit worked (every Worker:HeartbeatInterval, 5 s by default)
            Assert.True(stage.HeartbeatAt > stage.StartedAt!.Value.AddSeconds(4), $"heartbeat {stage.HeartbeatAt:O}, started {stage.StartedAt:O}");
        }
        var log = await _api.LogAsync(build.Id);
        Assert.Single(log.Split('\n'), line => line == "==> stage s: running");
        Assert.Equal(BuildStatus.Succeeded, (await _api.GetAsync(build.Id)).Status);
    }

    private async Task SweepAsync()
    {
        await using var scope = service.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<HybridBuild.Application.Jobs.Reconciler>().RunAsync(CancellationToken.None);
    }

    /// <summary>A build as a worker that died mid-stage leaves it: running, with a heartbeat long past and no live job.</summary>
    private async Task<Guid> StoreOrphanAsync(bool cancelRequested)
    {
        await using var scope = service.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BuildDbContext>();
        var blobs = scope.ServiceProvider.GetRequiredService<IBlobStore>();
        var id = Guid.CreateVersion7();
        var longAgo = DateTimeOffset.UtcNow.AddHours(-1);
        var key = await StoredContexts.PutRecoveringAsync(blobs, id);
        db.Builds.Add(new Build
        {
            Id = id, Status = BuildStatus.Running, CreatedAt = longAgo, StartedAt = longAgo, SourceKind = SourceKind.Inline,
            ContextKey = key, CancelRequestedAt = cancelRequested ? longAgo : null,
            Stages =
            [
                new Stage
                {
                    Id = Guid.CreateVersion7(), Name = "out", Target = "out", Status = StageStatus.Running, EnqueuedAt = longAgo,
                    StartedAt = longAgo, HeartbeatAt = longAgo, RunId = Guid.NewGuid(), Attempts = 1, JobId = "gone",
                },
            ],
        });
        await db.SaveChangesAsync();
        return id;
    }
}
