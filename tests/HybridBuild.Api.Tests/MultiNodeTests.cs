using HybridBuild.Testing.Emulators;

namespace HybridBuild.Api.Tests;

/// <summary>Nodes with one role each share a database and blob root: the API node queues, a worker node builds.</summary>
[Collection(LiveService.Name)]
public sealed class MultiNodeTests(ServiceFixture service)
{
    [Fact]
    public async Task An_api_only_node_queues_stages_that_a_worker_only_node_runs()
    {
        var worker = await RunAcrossNodesAsync([]);
        Assert.Contains("BuildKit engine native: ", worker);
    }

    [Fact]
    public async Task A_worker_configured_for_the_buildx_engine_builds_with_it()
    {
        var worker = await RunAcrossNodesAsync([], null, ("Engine__Provider", "Buildx"));
        Assert.Contains("BuildKit engine buildx: ", worker);
    }

    [Theory]
    [InlineData("S3")]
    [InlineData("Azure")]
    public async Task Nodes_without_a_shared_disk_share_blobs_through_an_object_store_and_downloads_redirect_to_it(string provider)
    {
        await using NodeEmulator store = provider == "S3" ? await S3rverServer.StartAsync() : await AzuriteServer.StartAsync();

        await RunAcrossNodesAsync([.. store.EnvironmentSettings(), ("Storage__Downloads", "Redirect")], store.Port);
    }

    [Fact]
    public async Task A_key_revoked_on_one_node_stops_working_on_another_while_the_other_caches_keys()
    {
        var database = await service.CreateDatabaseAsync();
        using var disk = new TempDirectory();
        await using var first = ServiceProcess.Start("first", database, disk.Path, ("Worker__Enabled", "false"));
        await using var second = ServiceProcess.Start("second", database, disk.Path, ("Worker__Enabled", "false"));
        await Task.WhenAll(first.WaitReadyAsync(), second.WaitReadyAsync());
        using var admin = first.CreateClient();
        var key = await new BuildApi(admin).CreateKeyAsync("short-lived", "builds:read");
        using var user = new HttpClient { BaseAddress = second.BaseAddress };
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        // the second node listens for revocations before it caches keys; until then it asks the database every time
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/v1/builds")).StatusCode);
        var id = (await admin.GetFromJsonAsync<JsonArray>("/api/v1/keys"))!.Single(k => (string)k!["name"]! == "short-lived")!["id"]!.GetValue<Guid>();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/keys/{id}")).StatusCode);

        // well within the cache's 30 s: only the notification can have evicted it
        var deadline = Stopwatch.StartNew();
        HttpStatusCode status;
        while ((status = (await user.GetAsync("/api/v1/builds")).StatusCode) == HttpStatusCode.OK && deadline.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(50);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task One_api_node_and_two_worker_nodes_on_two_engines_share_twenty_builds_through_an_object_store()
    {
        await using var store = await S3rverServer.StartAsync();
        var database = await service.CreateDatabaseAsync();
        using var apiDisk = new TempDirectory();
        using var disk1 = new TempDirectory();
        using var disk2 = new TempDirectory();
        var common = store.EnvironmentSettings();
        var second = await DockerEngines.SecondAsync(service);
        await using var api = ServiceProcess.Start("api", database, apiDisk.Path, [("Worker__Enabled", "false"), .. common]);
        await using var worker1 = ServiceProcess.Start("worker1", database, disk1.Path,
            [("Api__Enabled", "false"), ("Worker__Concurrency", "2"), .. common, .. DockerEngines.Builders(2, ("engine-1", DockerEngines.First))]);
        await using var worker2 = ServiceProcess.Start("worker2", database, disk2.Path,
            [("Api__Enabled", "false"), ("Worker__Concurrency", "2"), .. common, .. DockerEngines.Builders(2, ("engine-2", second))]);
        await Task.WhenAll(api.WaitReadyAsync(), worker1.WaitReadyAsync(), worker2.WaitReadyAsync());
        using var client = api.CreateClient();
        var buildApi = new BuildApi(client);
        var nonces = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid().ToString("N")).ToList();

        var ids = new List<Guid>();
        foreach (var nonce in nonces)
            ids.Add((await buildApi.SubmitAsync(new BuildSpec
            {
                Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
                {
                    ["Dockerfile"] = "FROM busybox AS make\nARG nonce\nRUN sleep 1 && mkdir /out && echo \"$nonce\" > /out/nonce.txt\nFROM scratch AS out\nCOPY --from=make /out/ /\n",
                } } },
                Stages = [new StageSpec { Name = "make", Target = "out", BuildArgs = new() { ["nonce"] = nonce } }],
            })).Id);
        var done = new List<BuildResponse>();
        foreach (var id in ids) done.Add(await buildApi.WaitSucceededAsync(id, TimeSpan.FromMinutes(5)));

        for (var i = 0; i < done.Count; i++)
            Assert.Equal(nonces[i], (await client.GetStringAsync(done[i].Stages.Single().Artifacts!.Single().Href)).Trim());
        var builders = done.Select(b => b.Stages.Single().Builder).ToList();
        Assert.Contains("engine-1", builders);
        Assert.Contains("engine-2", builders);
        Assert.Contains("Running stage make", worker1.Output);
        Assert.Contains("Running stage make", worker2.Output);
        Assert.DoesNotContain("Running stage", api.Output);
    }

    /// <summary>
    /// Runs a two-stage build (one an input of the other) on an API node and a worker node; returns the worker's output.
    /// With <paramref name="objectStorePort"/>, blobs live in the object store those settings name: each node gets a blob root
    /// of its own (so nothing is shared on disk), and the download is checked to redirect there.
    /// </summary>
    private async Task<string> RunAcrossNodesAsync((string Key, string Value)[] commonSettings, int? objectStorePort = null,
        params (string Key, string Value)[] workerSettings)
    {
        var database = await service.CreateDatabaseAsync();
        var shared = Directory.CreateTempSubdirectory("hybridbuild-nodes-").FullName;
        var workerDisk = objectStorePort is null ? shared : Directory.CreateTempSubdirectory("hybridbuild-worker-").FullName;
        await using var api = ServiceProcess.Start("api", database, shared, [("Worker__Enabled", "false"), .. commonSettings]);
        await api.WaitReadyAsync();
        await using var worker = ServiceProcess.Start("worker", database, workerDisk, [("Api__Enabled", "false"), .. commonSettings, .. workerSettings]);
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
        if (objectStorePort is { } port)
        {
            using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = api.BaseAddress };
            noRedirects.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
            using var redirect = await noRedirects.GetAsync(used.Href);
            Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
            Assert.Equal(port, redirect.Headers.Location!.Port);
            Assert.Equal("no-store", redirect.Headers.CacheControl?.ToString());
            // redirect=false (the web console's downloads) answers with the file itself
            using var itself = await noRedirects.GetAsync(used.Href + "?redirect=false");
            Assert.Equal(HttpStatusCode.OK, itself.StatusCode);
            Assert.StartsWith("made ", await itself.Content.ReadAsStringAsync());
            Assert.DoesNotContain(Directory.EnumerateFiles(shared, "*", SearchOption.AllDirectories), f => f.Contains("artifacts"));
        }
        Assert.Contains($"Running stage use of build {done.Id}", worker.Output);
        Assert.DoesNotContain("Running stage", api.Output);
        // a worker-only node serves no API: even with a valid key there is nothing there (without one, the fallback policy says 401 first)
        using var asAdmin = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{worker.Port}/api/v1/builds");
        asAdmin.Headers.Authorization = new("Bearer", ServiceFixture.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, (await new HttpClient().SendAsync(asAdmin)).StatusCode);
        Directory.Delete(shared, recursive: true);
        if (workerDisk != shared) Directory.Delete(workerDisk, recursive: true);
        return worker.Output;
    }
}
