namespace HybridBuild.Api.Tests;

/// <summary>
/// Reproducibility checks over HTTP: a build's artifact stages rebuilt without cache as a build of their own, every
/// artifact compared by SHA-256, the verdict on the original. A deterministic .NET publish is reproducible; a stage that
/// writes the time is not, and says which file differs with both digests; in a pool the rebuild goes to the other builder.
/// </summary>
[Collection(LiveService.Name)]
public sealed class ReproduceTests(ServiceFixture service)
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task A_deterministic_dotnet_publish_with_reproduce_set_is_rebuilt_without_cache_and_found_reproducible()
    {
        var api = new BuildApi(service.Client);
        var spec = new BuildSpec
        {
            Source = new SourceSpec
            {
                Inline = new InlineSourceSpec
                {
                    Files = new()
                    {
                        ["Dockerfile"] = "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build\nWORKDIR /src\nCOPY . .\n"
                            + "RUN dotnet publish app.csproj -c Release -o /out --nologo -v q\nFROM scratch AS out\nCOPY --from=build /out/ /\n",
                        ["app.csproj"] = "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>"
                            + "<UseAppHost>false</UseAppHost></PropertyGroup></Project>",
                        ["Program.cs"] = $"System.Console.WriteLine(\"reproducible {Guid.NewGuid():N}\");\n",
                    },
                },
            },
            Stages = [new StageSpec { Name = "publish", Target = "out" }],
            Reproduce = true,
        };
        var original = await api.WaitSucceededAsync((await api.SubmitAsync(spec)).Id, Slow);
        Assert.True(original.Reproduce);

        var judged = await api.WaitAsync(original.Id, b => b.Reproduction is { Status: not ReproductionStatus.Running }, Slow);

        Assert.True(judged.Reproducible, $"{JsonSerializer.Serialize(judged.Reproduction, ApiJson.Options)}\n{await api.LogAsync(judged.Reproduction!.BuildId)}");
        Assert.Empty(judged.Reproduction!.Differing);
        Assert.Contains(judged.Reproduction.Identical, c => c is { Stage: "publish", Path: "app.dll" } && c.Original == c.Reproduced);
        Assert.Equal(original.Stages.Single().Artifacts!.Count, judged.Reproduction.Identical.Count);

        var rebuild = await api.GetAsync(judged.Reproduction.BuildId);
        Assert.Equal(original.Id, rebuild.ReproductionOf);
        var stage = rebuild.Stages.Single();
        Assert.True(stage.Cache.NoCache);
        // BuildKit may still answer a WORKDIR from the cache; the publish itself ran again
        var log = await api.LogAsync(rebuild.Id);
        var publish = System.Text.RegularExpressions.Regex.Match(log, @"#(\d+) \[build \d+/\d+\] RUN dotnet publish");
        Assert.True(publish.Success, log);
        Assert.DoesNotContain($"#{publish.Groups[1].Value} CACHED", log);
        Assert.True(stage.CacheUse is { } use && use.Cached < use.Steps, $"{stage.CacheUse}");
    }

    [Fact]
    public async Task A_stage_that_writes_the_time_is_not_reproducible_and_the_rebuild_runs_on_the_other_builder_of_the_pool()
    {
        var second = await DockerEngines.SecondAsync(service);
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("reproduce", await service.CreateDatabaseAsync(), shared.Path,
            DockerEngines.Builders(2, ("one", DockerEngines.First), ("two", second)));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);
        var spec = new BuildSpec
        {
            Source = new SourceSpec
            {
                Inline = new InlineSourceSpec
                {
                    Files = new() { ["Dockerfile"] = "FROM busybox AS b\nRUN echo same > /same.txt && date +%s%N > /time.txt && sleep 3\nFROM scratch AS out\nCOPY --from=b /same.txt /time.txt /\n" },
                },
            },
            Stages = [new StageSpec { Name = "stamp", Target = "out" }],
        };
        var original = await api.WaitSucceededAsync((await api.SubmitAsync(spec)).Id, Slow);
        Assert.Null(original.Reproducible);

        using var asked = await client.PostAsync($"/api/v1/builds/{original.Id}/reproduce", null);
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var rebuild = await BuildApi.AcceptedAsync(asked);
        Assert.Equal($"/api/v1/builds/{rebuild.Id}", asked.Headers.Location!.OriginalString);
        Assert.Equal(original.Id, rebuild.ReproductionOf);

        // one at a time; and a reproduction is not reproduced
        using (var again = await client.PostAsync($"/api/v1/builds/{original.Id}/reproduce", null))
            await BuildApi.ProblemAsync(again, HttpStatusCode.Conflict, "reproduction-running");
        var judged = await api.WaitAsync(original.Id, b => b.Reproduction is { Status: not ReproductionStatus.Running }, Slow);
        using (var nested = await client.PostAsync($"/api/v1/builds/{rebuild.Id}/reproduce", null))
            await BuildApi.ProblemAsync(nested, HttpStatusCode.Conflict, "not-reproducible");

        Assert.False(judged.Reproducible);
        var time = Assert.Single(judged.Reproduction!.Differing);
        Assert.Equal(("stamp", "time.txt"), (time.Stage, time.Path));
        Assert.NotNull(time.Original);
        Assert.NotNull(time.Reproduced);
        Assert.NotEqual(time.Original, time.Reproduced);
        var same = Assert.Single(judged.Reproduction.Identical);
        Assert.Equal(("stamp", "same.txt"), (same.Stage, same.Path));

        var rebuilt = await api.GetAsync(rebuild.Id);
        Assert.NotEqual(original.Stages.Single().Builder, rebuilt.Stages.Single().Builder);
    }

    [Fact]
    public async Task Only_a_succeeded_build_with_artifacts_can_be_reproduced()
    {
        var api = new BuildApi(service.Client);
        var failing = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox\nRUN exit 3\n" } } },
            Stages = [new StageSpec { Name = "fails" }],
        };
        var failed = await api.WaitFinishedAsync((await api.SubmitAsync(failing)).Id);
        Assert.Equal(BuildStatus.Failed, failed.Status);

        using var refused = await service.Client.PostAsync($"/api/v1/builds/{failed.Id}/reproduce", null);
        var problem = await BuildApi.ProblemAsync(refused, HttpStatusCode.Conflict, "not-reproducible");
        Assert.Contains("failed", (string)problem["detail"]!);
        using var missing = await service.Client.PostAsync($"/api/v1/builds/{Guid.NewGuid()}/reproduce", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
