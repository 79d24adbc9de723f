using HybridBuild.Application.Retention;

namespace HybridBuild.Api.Tests;

/// <summary>
/// Pinned builds and retention over HTTP: a build is pinned at submission or with PUT .../pin (builds:write) and shows
/// it; a retention run deletes expired builds that are not pinned, and a pinned build keeps its files even when a
/// deleted build shared them; DELETE refuses a pinned build until it is unpinned.
/// </summary>
[Collection(LiveService.Name)]
public sealed class RetentionTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    private static BuildSpec Exporting(string content, bool pinned = false) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
        {
            ["Dockerfile"] = "FROM scratch AS out\nCOPY kept.txt /\n",
            ["kept.txt"] = content,
        } } },
        Stages = [new StageSpec { Name = "out", Target = "out" }],
        Pinned = pinned,
    };

    private Task<HttpResponseMessage> PinAsync(Guid id, HttpClient? client = null) => (client ?? service.Client).PutAsync($"/api/v1/builds/{id}/pin", null);

    private Task<HttpResponseMessage> UnpinAsync(Guid id) => service.Client.DeleteAsync($"/api/v1/builds/{id}/pin");

    private static async Task<BuildResponse> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<BuildResponse>(body, ApiJson.Options)!;
    }

    [Fact]
    public async Task A_retention_run_deletes_the_expired_unpinned_build_and_keeps_those_pinned_at_submission_and_by_PUT_with_the_file_they_shared()
    {
        var content = $"kept {Guid.NewGuid():N}\n"; // the three builds store one blob
        var atSubmission = await _api.SubmitAsync(Exporting(content, pinned: true));
        Assert.True(atSubmission.Pinned);
        var unpinned = await _api.SubmitAsync(Exporting(content));
        Assert.False(unpinned.Pinned);
        var byPut = await _api.SubmitAsync(Exporting(content));
        foreach (var id in new[] { atSubmission.Id, unpinned.Id, byPut.Id }) await _api.WaitSucceededAsync(id);
        Assert.True((await OkAsync(await PinAsync(byPut.Id))).Pinned);
        await FinishedLongAgoAsync(atSubmission.Id, unpinned.Id, byPut.Id);

        await using (var scope = service.Services.CreateAsyncScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync(CancellationToken.None) >= 1);

        Assert.Equal(HttpStatusCode.NotFound, (await service.Client.GetAsync($"/api/v1/builds/{unpinned.Id}")).StatusCode);
        foreach (var kept in new[] { atSubmission.Id, byPut.Id })
        {
            var build = await _api.GetAsync(kept);
            Assert.True(build.Pinned);
            Assert.Equal(content, await service.Client.GetStringAsync(build.Stages.Single().Artifacts!.Single().Href));
        }
    }

    [Fact]
    public async Task A_pinned_build_cannot_be_deleted_until_it_is_unpinned_and_pinning_needs_builds_write()
    {
        var build = await _api.WaitSucceededAsync((await _api.SubmitAsync(Exporting($"pin {Guid.NewGuid():N}\n"))).Id);
        using var reader = service.ClientWithKey(await _api.CreateKeyAsync($"reader-{Guid.NewGuid():N}", ApiScopes.BuildsRead));

        var forbidden = await BuildApi.ProblemAsync(await PinAsync(build.Id, reader), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(ApiScopes.BuildsWrite, forbidden["scope"]!.GetValue<string>());
        Assert.True((await OkAsync(await PinAsync(build.Id))).Pinned);
        var twice = await PinAsync(build.Id);
        Assert.True((await OkAsync(twice)).Pinned);
        Assert.Contains("\"pinned\":true", await service.Client.GetStringAsync($"/api/v1/builds/{build.Id}"));

        var refused = await BuildApi.ProblemAsync(await service.Client.DeleteAsync($"/api/v1/builds/{build.Id}"), HttpStatusCode.Conflict, "build-pinned");
        Assert.Contains("unpin it first", refused["detail"]!.GetValue<string>());

        Assert.False((await OkAsync(await UnpinAsync(build.Id))).Pinned);
        Assert.False((await OkAsync(await UnpinAsync(build.Id))).Pinned);
        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.DeleteAsync($"/api/v1/builds/{build.Id}")).StatusCode);
        await BuildApi.ProblemAsync(await PinAsync(build.Id), HttpStatusCode.NotFound, "not-found");
    }

    /// <summary>Makes the builds look as if they had finished before the fixture's retention age.</summary>
    private async Task FinishedLongAgoAsync(params Guid[] ids)
    {
        var aged = await Sql.ExecuteAsync(service.ConnectionString, "UPDATE hybridbuild.builds SET \"FinishedAt\" = @at WHERE \"Id\" = ANY(@ids)",
            ("at", DateTimeOffset.UtcNow - ServiceFixture.RetentionAge - TimeSpan.FromDays(1)), ("ids", ids));
        Assert.Equal(ids.Length, aged);
    }
}
