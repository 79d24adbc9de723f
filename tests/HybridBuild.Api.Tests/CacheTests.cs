using HybridBuild.BuildKit.Client;

namespace HybridBuild.Api.Tests;

/// <summary>
/// BuildKit's cache through both engines, over HTTP: a stage exports its cache to the test registry, the engine's own
/// records of it are pruned, and a later build imports it and is answered from it; noCache and noCacheFilter build
/// afresh; each stage reports what the cache did (steps, cached steps, the time saved).
/// </summary>
[Collection(LiveService.Name)]
public sealed class CacheTests(ServiceFixture service)
{
    // the token is written out, not an argument: the RUN's cache record is found by it in its description
    private static string Dockerfile(string token) => $"FROM busybox AS work\nRUN echo {token} > /n && sleep 2\nFROM scratch AS out\nCOPY --from=work /n /\n";

    [Fact]
    public Task The_native_engine_exports_cache_to_a_registry_imports_it_after_a_prune_and_builds_afresh_without_cache() =>
        ExportImportAndNoCacheAsync(service.Client);

    [Fact]
    public async Task The_buildx_engine_exports_cache_to_a_registry_imports_it_after_a_prune_and_builds_afresh_without_cache()
    {
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("buildx-cache", await service.CreateDatabaseAsync(), shared.Path, ("Engine__Provider", "Buildx"));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        await ExportImportAndNoCacheAsync(client);
    }

    private async Task ExportImportAndNoCacheAsync(HttpClient client)
    {
        var api = new BuildApi(client);
        var nonce = Guid.NewGuid().ToString("N");
        var reference = $"{service.Registry}/cache/{nonce}:buildcache";
        BuildSpec Spec(StageSpec stage) => new()
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile(nonce) } } },
            Stages = [stage with { Name = "out", Target = "out" }],
        };

        async Task<(StageResponse Stage, string Log)> RunAsync(StageSpec stage)
        {
            var done = await api.WaitSucceededAsync((await api.SubmitAsync(Spec(stage))).Id);
            return (done.Stages.Single(), await api.LogAsync(done.Id));
        }

        var (first, firstLog) = await RunAsync(new StageSpec { Cache = new CacheSpec { To = [$"type=registry,ref={reference},mode=max"] } });
        Assert.Equal([$"type=registry,mode=max,ref={reference}"], first.Cache.To);
        var steps = first.CacheUse?.Steps ?? 0;
        Assert.True(steps == 2 && first.CacheUse!.Cached == 0, $"first build: {first.CacheUse}\n{firstLog}");
        using (var registry = new HttpClient())
        {
            registry.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.oci.image.index.v1+json");
            registry.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
            using var manifest = await registry.GetAsync($"http://{service.Registry}/v2/cache/{nonce}/manifests/buildcache");
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        }

        // the engine forgets the RUN's result: only the registry still has it
        await PruneAsync(nonce);
        var (imported, importedLog) = await RunAsync(new StageSpec { Cache = new CacheSpec { From = [reference] } });
        // the RUN (2 s of sleep) comes from the registry: the time saved is at least what it took the first time
        Assert.True(imported.CacheUse is { Steps: 2, Cached: 2, EstimatedSteps: > 0, SavedMilliseconds: >= 2000, SavedShare: > 0 },
            $"imported build: {imported.CacheUse}\n{importedLog}");
        Assert.Contains($"importing cache manifest from {reference}", importedLog);

        var (afresh, afreshLog) = await RunAsync(new StageSpec { NoCache = true });
        Assert.True(afresh.CacheUse is { Cached: 0 }, $"noCache build: {afresh.CacheUse}\n{afreshLog}");
        Assert.True(afresh.Cache.NoCache);

        var (filtered, filteredLog) = await RunAsync(new StageSpec { NoCacheFilter = ["work"] });
        Assert.True(filtered.CacheUse is { } f && f.Cached < f.Steps, $"noCacheFilter build: {filtered.CacheUse}\n{filteredLog}");

        var (cached, cachedLog) = await RunAsync(new StageSpec());
        Assert.True(cached.CacheUse is { Steps: 2, Cached: 2 }, $"cached build: {cached.CacheUse}\n{cachedLog}");
    }

    /// <summary>Removes the engine's cache records that hold <paramref name="token"/> (by id: Docker 26's BuildKit matches no prune filter on descriptions).</summary>
    private static async Task PruneAsync(string token)
    {
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = $"docker+unix://{DockerEngines.First}" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var records = await client.DiskUsageAsync([$"description~={token}"], timeout.Token);
        Assert.NotEmpty(records);
        foreach (var record in records)
            await client.PruneAsync(new PruneOptions { All = true, Filters = [$"id=={record.Id}"] }, timeout.Token);
        Assert.Empty(await client.DiskUsageAsync([$"description~={token}"], timeout.Token));
    }

    [Fact]
    public async Task Cache_entries_the_service_does_not_take_are_400s_naming_the_entry()
    {
        var api = new BuildApi(service.Client);
        const string Inline = "{'source':{'inline':{'files':{'Dockerfile':'FROM scratch'}}},";
        string Json(string stage) => (Inline + "'stages':[{'name':'s'," + stage + "}]}").Replace('\'', '"');

        Assert.Contains("'local' is not a cache type", (await api.RefusedAsync(Json("'cache':{'to':['type=local,dest=/etc']}"), "stages[0].cache.to[0]")).Single());
        Assert.Contains("needs an image output", (await api.RefusedAsync(Json("'cache':{'to':['type=inline']}"), "stages[0].cache.to[0]")).Single());
        Assert.Contains("mode must be one of", (await api.RefusedAsync(Json("'cache':{'to':['type=registry,ref=r.example.com/a:c,mode=all']}"), "stages[0].cache.to[0]")).Single());
        Assert.Contains("not an attribute", (await api.RefusedAsync(Json("'cache':{'from':['type=registry,ref=r.example.com/a:c,mode=max']}"), "stages[0].cache.from[0]")).Single());
        Assert.Contains("valid Dockerfile stage name", (await api.RefusedAsync(Json("'noCacheFilter':['1bad']"), "stages[0].noCacheFilter[0]")).Single());
    }
}
