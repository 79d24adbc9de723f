namespace HybridBuild.Api.Tests;

/// <summary>A pool of two BuildKit daemons (<see cref="DockerEngines"/>); the node under test is a child process configured with Engine:Builders.</summary>
[Collection(LiveService.Name)]
public sealed class BuilderPoolTests(ServiceFixture service)
{
    private static StageSpec Sleeper(string name, int seconds) => new()
    {
        Name = name, Target = "out",
        BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N"), ["seconds"] = seconds.ToString(), ["stage"] = name },
    };

    private const string Dockerfile =
        "FROM busybox AS work\nARG nonce\nARG seconds\nARG stage\nRUN echo \"starting $stage\" && sleep $seconds && mkdir /out && echo \"$stage $nonce\" > /out/done.txt\n"
        + "FROM scratch AS out\nCOPY --from=work /out/ /\n";

    [Fact]
    public async Task The_stages_of_one_build_run_on_different_engines_and_the_record_says_which()
    {
        var second = await DockerEngines.SecondAsync(service);
        var database = await service.CreateDatabaseAsync();
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("pool", database, shared.Path, DockerEngines.Builders(1, ("one", DockerEngines.First), ("two", second)));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);

        var ready = await client.GetFromJsonAsync<JsonObject>("/health/ready");
        var listed = ready!["checks"]!["buildkit"]!["data"]!["builders"]!.AsArray();
        Assert.Equal(["one", "two"], listed.Select(b => (string)b!["name"]!));
        Assert.All(listed, b => Assert.Equal("up", (string)b!["state"]!));
        Assert.All(listed, b => Assert.Contains("linux/amd64", b!["platforms"]!.AsArray().Select(p => (string)p!)));

        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile } } },
            Stages = [Sleeper("left", 4), Sleeper("right", 4)],
        };
        var done = await api.WaitSucceededAsync((await api.SubmitAsync(spec)).Id, TimeSpan.FromMinutes(3));

        Assert.Equal(["one", "two"], done.Stages.Select(s => s.Builder).Order());
        foreach (var stage in done.Stages)
            Assert.StartsWith($"{stage.Name} ", await client.GetStringAsync(stage.Artifacts!.Single().Href));
        Assert.Contains("solving on builder one", await api.LogAsync(done.Id));
    }

    [Fact]
    public async Task An_engine_that_stops_answering_mid_build_has_its_stage_run_again_on_the_other_and_the_build_succeeds()
    {
        await using var flaky = new UnixSocketProxy(await DockerEngines.SecondAsync(service));
        var database = await service.CreateDatabaseAsync();
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("pool", database, shared.Path, DockerEngines.Builders(1, ("flaky", flaky.Path), ("steady", DockerEngines.First)));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile } } },
            Stages = [Sleeper("only", 20)],
        };
        var id = (await api.SubmitAsync(spec)).Id;
        await api.WaitForLogAsync(id, "only", "starting only", TimeSpan.FromMinutes(2));
        Assert.Equal("flaky", (await api.GetAsync(id)).Stages.Single().Builder);

        flaky.Sever();

        var done = await api.WaitSucceededAsync(id, TimeSpan.FromMinutes(3));
        Assert.Equal("steady", done.Stages.Single().Builder);
        var log = await api.LogAsync(id);
        Assert.Contains("builder flaky does not answer", log);
        Assert.Contains("solving on builder steady", log);
        Assert.StartsWith("only ", await client.GetStringAsync(done.Stages.Single().Artifacts!.Single().Href));
        var ready = await client.GetFromJsonAsync<JsonObject>("/health/ready");
        var states = ready!["checks"]!["buildkit"]!["data"]!["builders"]!.AsArray().ToDictionary(b => (string)b!["name"]!, b => (string)b!["state"]!);
        Assert.Equal("down", states["flaky"]);
        Assert.Equal("up", states["steady"]);
    }

    [Fact]
    public async Task A_stage_that_waits_for_a_full_builder_past_its_queue_TTL_expires_and_the_running_one_is_untouched()
    {
        var database = await service.CreateDatabaseAsync();
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("pool", database, shared.Path, DockerEngines.Builders(1, ("only", DockerEngines.First)));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);
        var files = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile } } };
        var busy = (await api.SubmitAsync(new BuildSpec { Source = files, Stages = [Sleeper("busy", 20)] })).Id;
        await api.WaitForLogAsync(busy, "busy", "starting busy", TimeSpan.FromMinutes(2));

        var late = Sleeper("late", 1) with { QueueTtl = "00:00:04" };
        var waiting = (await api.SubmitAsync(new BuildSpec { Source = files, Stages = [late] })).Id;

        var expired = await api.WaitFinishedAsync(waiting, TimeSpan.FromMinutes(2));
        var stage = expired.Stages.Single();
        Assert.True(stage.Status == StageStatus.Expired, $"late: {stage.Status} {stage.Error}");
        Assert.Contains("every builder for the stage stayed busy (only: 1 solves) past its queue TTL of 00:00:04", stage.Error);
        Assert.Equal(BuildStatus.Failed, expired.Status);
        Assert.Contains("waiting for room", await api.LogAsync(waiting));
        var done = await api.WaitSucceededAsync(busy, TimeSpan.FromMinutes(2));
        Assert.Equal("only", done.Stages.Single().Builder);
    }
}
