namespace HybridBuild.Api.Tests;

/// <summary>Nodes with one role each share a database and blob root: the API node queues, a worker node builds.</summary>
[Collection(LiveService.Name)]
public sealed class MultiNodeTests(ServiceFixture service)
{
    [Fact]
    public async Task An_api_only_node_queues_stages_that_a_worker_only_node_runs()
    {
        var worker = await RunAcrossNodesAsync();
        Assert.Contains("BuildKit engine native: ", worker);
    }

    [Fact]
    public async Task A_worker_configured_for_the_buildx_engine_builds_with_it()
    {
        var worker = await RunAcrossNodesAsync(("Engine__Provider", "Buildx"));
        Assert.Contains("BuildKit engine buildx: ", worker);
    }

    /// <summary>Runs a two-stage build (one an input of the other) on an API node and a worker node; returns the worker's output.</summary>
    private async Task<string> RunAcrossNodesAsync(params (string Key, string Value)[] workerSettings)
    {
        var database = await service.CreateDatabaseAsync();
        var shared = Directory.CreateTempSubdirectory("hybridbuild-nodes-").FullName;
        await using var api = ServiceProcess.Start("api", database, shared, ("Worker__Enabled", "false"));
        await api.WaitReadyAsync();
        await using var worker = ServiceProcess.Start("worker", database, shared, [("Api__Enabled", "false"), .. workerSettings]);
        await worker.WaitReadyAsync();
        using var client = api.CreateClient();
        var buildApi = new BuildApi(client);
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                ["Dockerfile"] = "FROM busybox AS make\nARG nonce\nRUN mkdir /out && echo \"made $nonce\" > /out/made.txt\nFROM scratch AS made\nCOPY --from=make /out/ /\n"
                    + "FROM busybox AS use\nCOPY in/made.txt /made.txt\nRUN mkdir /out && cp /made.txt /out/used.txt\nFROM scratch AS used\nCOPY --from=use /out/ /\n",
            } } },
            Stages =
            [
                new StageSpec { Name = "make", Target = "made", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") } },
                new StageSpec { Name = "use", Target = "used", Inputs = [new StageInputSpec { Stage = "make", Path = "in" }] },
            ],
        };

        var done = await buildApi.WaitSucceededAsync((await buildApi.SubmitAsync(spec)).Id, TimeSpan.FromMinutes(2));

        var used = done.Stages.Single(s => s.Name == "use").Artifacts!.Single();
        Assert.StartsWith("made ", await client.GetStringAsync(used.Href));
        Assert.Contains($"Running stage use of build {done.Id}", worker.Output);
        Assert.DoesNotContain("Running stage", api.Output);
        // a worker-only node serves no API: even with a valid key there is nothing there (without one, the fallback policy says 401 first)
        using var asAdmin = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{worker.Port}/api/v1/builds");
        asAdmin.Headers.Authorization = new("Bearer", ServiceFixture.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, (await new HttpClient().SendAsync(asAdmin)).StatusCode);
        Directory.Delete(shared, recursive: true);
        return worker.Output;
    }
}
