using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Sources;
using HybridBuild.Data;
using HybridBuild.Storage;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace HybridBuild.Api.Tests;

/// <summary>
/// A node killed with SIGKILL (no shutdown, no hand-over) leaves work behind; the next node on the same database and
/// storage resumes it within 60 s of answering /health/ready. Set HYBRIDBUILD_RECOVERY_RUNS to repeat the mid-solve
/// kill and print each recovery time and their median.
/// </summary>
[Collection(LiveService.Name)]
public sealed class KillRecoveryTests(ServiceFixture service, ITestOutputHelper output)
{
    /// <summary>The issue's requirement: interrupted work resumes within this long of the node answering /health/ready.</summary>
    private static readonly TimeSpan ResumeWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_stage_killed_mid_solve_is_run_again_by_the_restarted_node_within_a_minute_of_it_being_ready()
    {
        var runs = int.TryParse(Environment.GetEnvironmentVariable("HYBRIDBUILD_RECOVERY_RUNS"), out var n) && n > 0 ? n : 1;
        var times = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var (ready, resumed) = await KillMidSolveAndRestartAsync();
            times.Add(resumed.TotalSeconds);
            output.WriteLine($"run {run}/{runs}: the restarted node was ready {ready.TotalSeconds:F1} s after the kill; "
                + $"the stage ran again {resumed.TotalSeconds:F1} s after that");
        }
        var sorted = times.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        output.WriteLine($"recovery times (s): {string.Join(", ", times.Select(t => t.ToString("F1")))}; median {median:F1}");
    }

    [Theory]
    [InlineData(true)]  // the stage was marked handed out, but its job was never created
    [InlineData(false)] // the build was stored, but its stages never handed out
    public async Task A_build_stored_but_never_enqueued_when_its_node_was_killed_is_run_by_the_restarted_node(bool stageMarkedEnqueued)
    {
        var database = await service.CreateDatabaseAsync();
        var shared = Directory.CreateTempSubdirectory("hybridbuild-kill-").FullName;
        try
        {
            Guid buildId;
            await using (var first = ServiceProcess.Start("node", database, shared))
            {
                await first.WaitReadyAsync(); // it migrated the database and reported as a node
                await first.KillAsync();
                buildId = await StoreUnenqueuedBuildAsync(database, shared, stageMarkedEnqueued);
            }

            await using var second = ServiceProcess.Start("node", database, shared);
            var ready = await second.WaitReadyAsync();
            using var client = second.CreateClient();
            var api = new BuildApi(client);

            var (_, runningAt) = await WaitRunningAsync(api, buildId, previousStart: null, second);
            var resumed = runningAt - ready;
            output.WriteLine($"the stage ran {resumed.TotalSeconds:F1} s after the restarted node was ready");

            await AssertSucceededWithArtifactAsync(api, buildId, "recovered\n");
            Assert.True(resumed <= ResumeWithin, $"the stage ran {resumed.TotalSeconds:F1} s after the node was ready, more than {ResumeWithin.TotalSeconds} s");
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    /// <summary>
    /// Submits a long stage, SIGKILLs the node once the solve is under way, restarts it; returns how long after the kill
    /// the new node was ready, and how long after that the stage ran again.
    /// </summary>
    private async Task<(TimeSpan Ready, TimeSpan Resumed)> KillMidSolveAndRestartAsync()
    {
        var database = await service.CreateDatabaseAsync();
        var shared = Directory.CreateTempSubdirectory("hybridbuild-kill-").FullName;
        try
        {
            var marker = Guid.NewGuid().ToString("N");
            BuildResponse killed;
            await using (var first = ServiceProcess.Start("node", database, shared))
            {
                await first.WaitReadyAsync();
                using var client = first.CreateClient();
                var api = new BuildApi(client);
                var build = await api.SubmitAsync(new BuildSpec
                {
                    Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
                    {
                        ["Dockerfile"] = $"FROM busybox AS s\nRUN echo {marker} && sleep 8 && mkdir /out && echo ok > /out/r.txt\nFROM scratch AS out\nCOPY --from=s /out/ /\n",
                    } } },
                    Stages = [new StageSpec { Name = "out", Target = "out" }],
                });
                killed = await api.WaitAsync(build.Id, b => b.Stages.Single().Status == StageStatus.Running, TimeSpan.FromMinutes(1));
                await api.WaitForLogAsync(build.Id, "out", marker, TimeSpan.FromMinutes(1)); // BuildKit is running the step
                await first.KillAsync();
            }
            var killedAt = DateTimeOffset.UtcNow;
            Assert.Equal(StageStatus.Running, (await StageInDatabaseAsync(database, killed.Id)).Status); // nothing handed it back

            await using var second = ServiceProcess.Start("node", database, shared);
            var ready = await second.WaitReadyAsync();
            using var secondClient = second.CreateClient();
            var secondApi = new BuildApi(secondClient);

            var (_, runningAt) = await WaitRunningAsync(secondApi, killed.Id, killed.Stages.Single().StartedAt, second);
            var resumed = runningAt - ready;

            await AssertSucceededWithArtifactAsync(secondApi, killed.Id, "ok\n");
            Assert.Equal(2, (await StageInDatabaseAsync(database, killed.Id)).Attempts);
            Assert.True(resumed <= ResumeWithin, $"the stage ran again {resumed.TotalSeconds:F1} s after the node was ready, more than {ResumeWithin.TotalSeconds} s");
            return (ready - killedAt, resumed);
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    /// <summary>
    /// Polls every 250 ms until the build's stage has a start other than <paramref name="previousStart"/> (running again,
    /// or already past it); returns the stage and when it was seen. Waits well beyond the requirement so a slow recovery
    /// is measured and reported rather than cut off.
    /// </summary>
    private static async Task<(StageResponse Stage, DateTimeOffset SeenAt)> WaitRunningAsync(BuildApi api, Guid buildId, DateTimeOffset? previousStart, ServiceProcess node)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(4);
        while (true)
        {
            var build = await api.GetAsync(buildId);
            var stage = build.Stages.Single();
            if (stage.StartedAt is { } started && started != previousStart && stage.Status != StageStatus.Queued) return (stage, DateTimeOffset.UtcNow);
            if (DateTimeOffset.UtcNow > deadline)
                Assert.Fail($"the stage of build {buildId} never ran again: {stage.Status} {stage.Error}\n{await api.LogAsync(buildId)}\n--- node output ---\n{node.Output}");
            await Task.Delay(250);
        }
    }

    private static async Task AssertSucceededWithArtifactAsync(BuildApi api, Guid buildId, string content)
    {
        var done = await api.WaitSucceededAsync(buildId, TimeSpan.FromMinutes(2));
        var artifact = Assert.Single(done.Stages.Single().Artifacts!);
        Assert.Equal("r.txt", artifact.Path);
        Assert.Equal(content, await api.Http.GetStringAsync(artifact.Href));
    }

    /// <summary>
    /// What a node killed between its database write and the transport's enqueue leaves: a queued build and stage, the
    /// context in storage, and no job (with <paramref name="stageMarkedEnqueued"/>, the stage already claimed for it).
    /// </summary>
    private static async Task<Guid> StoreUnenqueuedBuildAsync(string database, string shared, bool stageMarkedEnqueued)
    {
        await using var services = Store(database, shared);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BuildDbContext>();
        var blobs = scope.ServiceProvider.GetRequiredService<IBlobStore>();
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        var key = await StoredContexts.PutRecoveringAsync(blobs, id);
        db.Builds.Add(new Build
        {
            Id = id, Status = BuildStatus.Queued, CreatedAt = now, SourceKind = SourceKind.Inline, ContextKey = key,
            Stages = [new Stage { Id = Guid.CreateVersion7(), Name = "out", Target = "out", Status = StageStatus.Queued, EnqueuedAt = stageMarkedEnqueued ? now : null }],
        });
        await db.SaveChangesAsync();
        return id;
    }

    private static async Task<Stage> StageInDatabaseAsync(string database, Guid buildId)
    {
        await using var services = Store(database, shared: Path.GetTempPath());
        await using var scope = services.CreateAsyncScope();
        return scope.ServiceProvider.GetRequiredService<BuildDbContext>().Stages.Single(s => s.BuildId == buildId);
    }

    /// <summary>The nodes' database and blob store, as the test reaches them directly.</summary>
    private static ServiceProvider Store(string database, string shared)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = database,
            ["Storage:FileSystem:Root"] = Path.Combine(shared, "blobs"),
        }).Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging()
            .AddHybridBuildData(configuration).AddHybridBuildStorage(configuration).BuildServiceProvider();
    }
}
