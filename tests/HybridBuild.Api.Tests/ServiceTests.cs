namespace HybridBuild.Api.Tests;

/// <summary>What an operator and a newcomer see: health, Swagger UI, the Hangfire dashboard, the build list.</summary>
[Collection(LiveService.Name)]
public sealed class ServiceTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    [Fact]
    public async Task Readiness_reports_the_database_BuildKit_and_blob_storage()
    {
        using var live = await service.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        var ready = await service.Client.GetFromJsonAsync<JsonObject>("/health/ready");

        Assert.Equal("Healthy", ready!["status"]!.GetValue<string>());
        foreach (var check in new[] { "database", "buildkit", "blobStorage" })
            Assert.Equal("Healthy", ready["checks"]![check]!["status"]!.GetValue<string>());
        Assert.NotNull(ready["checks"]!["buildkit"]!["data"]!["imageStore"]);
    }

    [Fact]
    public async Task A_flood_of_readiness_probes_shares_one_check_of_the_builders()
    {
        // /health/ready needs no key: forty callers at once must not make the node ask its builder forty times
        var reports = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await service.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        }));

        var checkedAt = reports.Select(r => (string)r["checks"]!["buildkit"]!["data"]!["builders"]![0]!["checkedAt"]!).Distinct().ToList();
        Assert.True(checkedAt.Count <= 2, $"the builder was checked {checkedAt.Count} times for 40 concurrent probes");
    }

    [Fact]
    public async Task Swagger_UI_and_the_Hangfire_dashboard_answer()
    {
        using var swagger = await service.Client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, swagger.StatusCode);
        var document = await service.Client.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");
        var examples = document!["paths"]!["/api/v1/builds"]!["post"]!["requestBody"]!["content"]!["application/json"]!["examples"]!.AsObject();
        Assert.Contains("artifactory", examples.Select(e => e.Key));
        Assert.Contains("wasm", examples.Select(e => e.Key));
        Assert.Contains("verify", examples.Select(e => e.Key));
        Assert.Contains("reproduce", examples.Select(e => e.Key));
        Assert.Contains("seed", examples.Select(e => e.Key));

        using var dashboard = await service.Client.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
    }

    [Fact]
    public async Task The_build_list_pages_and_filters_by_status()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox AS ok\nRUN true\nFROM busybox AS ko\nRUN false\n" } } },
            Stages = [new StageSpec { Name = "s", Target = "ok", Output = new OutputSpec { Type = OutputType.None } }],
        };
        var good = await _api.SubmitAsync(spec);
        var bad = await _api.SubmitAsync(spec with { Stages = [new StageSpec { Name = "s", Target = "ko", Output = new OutputSpec { Type = OutputType.None } }] });
        await _api.WaitFinishedAsync(good.Id);
        await _api.WaitFinishedAsync(bad.Id);

        var failed = await service.Client.GetFromJsonAsync<JsonObject>("/api/v1/builds?status=failed&pageSize=100");
        var succeeded = await service.Client.GetFromJsonAsync<JsonObject>("/api/v1/builds?status=succeeded&pageSize=100");

        Assert.Contains(failed!["items"]!.AsArray(), b => b!["id"]!.GetValue<Guid>() == bad.Id);
        Assert.DoesNotContain(failed["items"]!.AsArray(), b => b!["id"]!.GetValue<Guid>() == good.Id);
        Assert.Contains(succeeded!["items"]!.AsArray(), b => b!["id"]!.GetValue<Guid>() == good.Id);
        var first = await service.Client.GetFromJsonAsync<JsonObject>("/api/v1/builds?page=1&pageSize=1");
        var second = await service.Client.GetFromJsonAsync<JsonObject>("/api/v1/builds?page=2&pageSize=1");
        Assert.Single(first!["items"]!.AsArray());
        Assert.NotEqual(first["items"]![0]!["id"]!.GetValue<Guid>(), second!["items"]![0]!["id"]!.GetValue<Guid>());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T", first["items"]![0]!["createdAt"]!.GetValue<string>());
    }
}
