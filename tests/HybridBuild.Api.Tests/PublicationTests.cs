namespace HybridBuild.Api.Tests;

/// <summary>Publishing a build's stored artifacts to the strict Artifactory test server, configured as a named target.</summary>
[Collection(LiveService.Name)]
public sealed class PublicationTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    private async Task<BuildResponse> BuildWithArtifactsAsync()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                ["Dockerfile"] = "FROM busybox AS make\nARG nonce\nRUN mkdir /out && echo \"small $nonce\" > /out/small.txt && dd if=/dev/urandom of=/out/big.bin bs=1024 count=64 2>/dev/null\nFROM scratch AS made\nCOPY --from=make /out/ /\n",
            } } },
            Stages = [new StageSpec { Name = "app", Target = "made", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") } }],
        };
        return await _api.WaitSucceededAsync((await _api.SubmitAsync(spec)).Id);
    }

    private async Task<JsonObject> WaitFinishedAsync(string location)
    {
        for (var i = 0; i < 300; i++)
        {
            var publication = (await service.Client.GetFromJsonAsync<JsonObject>(location))!;
            if (publication["status"]!.GetValue<string>() is "succeeded" or "failed") return publication;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{location} did not finish");
    }

    [Fact]
    public async Task Artifacts_are_published_with_their_bytes_paths_and_properties_and_can_be_published_again_by_checksum()
    {
        var build = await BuildWithArtifactsAsync();
        var request = new
        {
            target = "artifactory-test",
            path = "builds/{buildId}/{stage}/{file}",
            properties = new Dictionary<string, string> { ["build.id"] = "{buildId}", ["build.stage"] = "{stage}", ["team"] = "a;b=c, d" },
        };
        using var response = await service.Client.PostAsJsonAsync($"/api/v1/builds/{build.Id}/publications", request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var publication = await WaitFinishedAsync(response.Headers.Location!.OriginalString);

        Assert.Equal("succeeded", publication["status"]!.GetValue<string>());
        Assert.DoesNotContain(ServiceFixture.ArtifactoryToken, publication.ToJsonString());
        foreach (var artifact in build.Stages.Single().Artifacts!)
        {
            var stored = service.Artifactory.Find("generic-local", $"builds/{build.Id}/app/{artifact.Path}");
            Assert.NotNull(stored);
            Assert.Equal(await service.Client.GetByteArrayAsync(artifact.Href), stored.Content);
            Assert.Equal([build.Id.ToString()], stored.Properties["build.id"]);
            Assert.Equal(["app"], stored.Properties["build.stage"]);
            Assert.Equal(["a;b=c, d"], stored.Properties["team"]);
            var file = publication["files"]!.AsArray().Single(f => f!["path"]!.GetValue<string>() == artifact.Path)!;
            Assert.Equal("published", file["status"]!.GetValue<string>());
            Assert.EndsWith($"builds/{build.Id}/app/{artifact.Path}", file["downloadUri"]!.GetValue<string>());
        }

        // the artifacts come from blob storage, so the build can be published again; the server knows the big file now
        using var again = await service.Client.PostAsJsonAsync($"/api/v1/builds/{build.Id}/publications", request with { path = "again/{file}" });
        var second = await WaitFinishedAsync(again.Headers.Location!.OriginalString);
        Assert.Equal("succeeded", second["status"]!.GetValue<string>());
        var big = second["files"]!.AsArray().Single(f => f!["path"]!.GetValue<string>() == "big.bin")!;
        Assert.True(big["deployedByChecksum"]!.GetValue<bool>());
        Assert.NotNull(service.Artifactory.Find("generic-local", "again/big.bin"));

        var listed = (await service.Client.GetFromJsonAsync<JsonArray>($"/api/v1/builds/{build.Id}/publications"))!;
        Assert.Equal([second["id"]!.GetValue<string>(), publication["id"]!.GetValue<string>()], listed.Select(p => p!["id"]!.GetValue<string>()));
        Assert.Equal("published", listed[1]!["files"]!.AsArray().Single(f => f!["path"]!.GetValue<string>() == "big.bin")!["status"]!.GetValue<string>());
    }

    private sealed class StoppedPublisher : HybridBuild.Core.Abstractions.IPublisher
    {
        public string Type => "artifactory";
        public Task<HybridBuild.Core.Abstractions.PublishedFile> PublishFileAsync(HybridBuild.Core.Abstractions.PublishTarget target,
            HybridBuild.Core.Abstractions.PublishFile file, CancellationToken ct) => throw new OperationCanceledException("the server is stopping");
    }

    [Fact]
    public async Task A_publication_job_that_is_stopped_midway_is_queued_again_not_left_running()
    {
        var build = await BuildWithArtifactsAsync();
        using var planned = await service.Client.PostAsJsonAsync($"/api/v1/builds/{build.Id}/publications", new { target = "artifactory-test", dryRun = true });
        var files = (await planned.Content.ReadFromJsonAsync<JsonObject>())!["files"].Deserialize<List<HybridBuild.Core.Domain.PublishedArtifact>>(
            HybridBuild.Application.Contracts.ApiJson.Options)!;
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HybridBuild.Data.BuildDbContext>();
        var publication = new HybridBuild.Core.Domain.Publication
        {
            Id = Guid.CreateVersion7(), BuildId = build.Id, Target = "artifactory-test", PathTemplate = "{buildId}/{stage}/{path}",
            Status = HybridBuild.Core.Domain.PublicationStatus.Queued, CreatedAt = DateTimeOffset.UtcNow,
            Files = [.. files.Select(f => f with { Status = HybridBuild.Core.Domain.PublishedFileStatus.Pending })],
        };
        db.Publications.Add(publication);
        await db.SaveChangesAsync();
        var job = ActivatorUtilities.CreateInstance<HybridBuild.Application.Publications.PublicationJob>(scope.ServiceProvider,
            (IEnumerable<HybridBuild.Core.Abstractions.IPublisher>)[new StoppedPublisher()]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.RunAsync(publication.Id, CancellationToken.None));

        var after = (await service.Client.GetFromJsonAsync<JsonObject>($"/api/v1/publications/{publication.Id}"))!;
        Assert.Equal("queued", after["status"]!.GetValue<string>()); // Hangfire's retry can claim it again
    }

    [Fact]
    public async Task A_build_that_asks_for_it_is_published_when_it_succeeds()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = $"FROM scratch AS out\nCOPY notes.txt /\n", ["notes.txt"] = $"auto {Guid.NewGuid():N}\n" } } },
            Stages = [new StageSpec { Name = "docs", Target = "out" }],
            Publish = [new PublishSpec { Target = "artifactory-test", Path = "auto/{buildId}/{file}", Properties = new() { ["kind"] = "auto" } }],
        };
        var build = await _api.WaitSucceededAsync((await _api.SubmitAsync(spec)).Id);
        HybridBuild.Testing.Artifactory.StoredArtifact? stored = null;
        for (var i = 0; i < 100 && stored is null; i++)
        {
            stored = service.Artifactory.Find("generic-local", $"auto/{build.Id}/notes.txt");
            if (stored is null) await Task.Delay(100);
        }
        Assert.NotNull(stored);
        Assert.Equal(["auto"], stored.Properties["kind"]);
        Assert.Equal(await service.Client.GetByteArrayAsync(build.Stages.Single().Artifacts!.Single().Href), stored.Content);
    }

    [Fact]
    public async Task A_build_asking_for_an_unknown_target_is_a_400_naming_it()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM scratch AS out\n" } } },
            Stages = [new StageSpec { Name = "s", Target = "out" }],
            Publish = [new PublishSpec { Target = "nowhere" }],
        };
        var problem = await BuildApi.ProblemAsync(await _api.PostJsonAsync(spec), HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["publish[0].target"]);
    }

    [Fact]
    public async Task A_dry_run_answers_the_plan_and_publishes_nothing()
    {
        var build = await BuildWithArtifactsAsync();
        using var response = await service.Client.PostAsJsonAsync($"/api/v1/builds/{build.Id}/publications",
            new { target = "artifactory-test", path = "dry/{buildId}/{file}", dryRun = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var plan = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.All(plan["files"]!.AsArray(), f => Assert.Equal("planned", f!["status"]!.GetValue<string>()));
        Assert.Contains(plan["files"]!.AsArray(), f => f!["destination"]!.GetValue<string>() == $"dry/{build.Id}/big.bin");
        Assert.Null(service.Artifactory.Find("generic-local", $"dry/{build.Id}/big.bin"));
    }

    [Fact]
    public async Task An_idempotency_key_returns_the_same_publication_and_refuses_another_request()
    {
        var build = await BuildWithArtifactsAsync();
        var key = Guid.NewGuid().ToString();
        async Task<HttpResponseMessage> PostAsync(string path)
        {
            var message = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/builds/{build.Id}/publications")
            {
                Content = JsonContent.Create(new { target = "artifactory-test", path }),
            };
            message.Headers.Add("Idempotency-Key", key);
            return await service.Client.SendAsync(message);
        }
        using var first = await PostAsync("idem/{file}");
        using var retried = await PostAsync("idem/{file}");
        Assert.Equal(first.Headers.Location, retried.Headers.Location);
        using var other = await PostAsync("other/{file}");
        await BuildApi.ProblemAsync(other, HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        await WaitFinishedAsync(first.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_same_idempotency_key_sent_many_times_at_once_makes_one_publication_and_no_500()
    {
        var build = await BuildWithArtifactsAsync();
        var key = $"race-{Guid.NewGuid():N}";
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/builds/{build.Id}/publications")
                { Content = JsonContent.Create(new { target = "artifactory-test", dryRun = true }) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await service.Client.SendAsync(request);
            return (response.StatusCode, Id: response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>() : null);
        }));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(responses.Select(r => r.Id).Distinct());
    }

    [Fact]
    public async Task Bad_publication_requests_are_problems_naming_what_was_wrong()
    {
        var build = await BuildWithArtifactsAsync();
        var url = $"/api/v1/builds/{build.Id}/publications";
        var target = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync(url, new { target = "nope" }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("target", target["field"]!.GetValue<string>());
        var path = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync(url, new { target = "artifactory-test", path = "{secret}/{file}" }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("path", path["field"]!.GetValue<string>());
        var escape = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync(url, new { target = "artifactory-test", path = "../{file}" }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("path", escape["field"]!.GetValue<string>());
        var stage = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync(url, new { target = "artifactory-test", stages = new[] { "ghost" } }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("stages", stage["field"]!.GetValue<string>());
        await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync($"/api/v1/builds/{Guid.NewGuid()}/publications", new { target = "artifactory-test" }), HttpStatusCode.NotFound, "not-found");
        await BuildApi.ProblemAsync(await service.Client.GetAsync($"/api/v1/publications/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not-found");
        await BuildApi.ProblemAsync(await service.Client.GetAsync($"/api/v1/builds/{Guid.NewGuid()}/publications"), HttpStatusCode.NotFound, "not-found");

        using var created = await service.Client.PostAsJsonAsync("/api/v1/keys", new { name = "reader", scopes = new[] { "builds:read" } });
        using var reader = service.ClientWithKey((await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>());
        var forbidden = await BuildApi.ProblemAsync(await reader.PostAsJsonAsync(url, new { target = "artifactory-test" }), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("publish", forbidden["scope"]!.GetValue<string>());
    }
}

/// <summary>Image stages copied by digest to another registry, one that wants a password.</summary>
[Collection(LiveService.Name)]
public sealed class ImagePublicationTests(ServiceFixture service)
{
    [Fact]
    public async Task A_pushed_image_is_copied_by_digest_to_a_password_protected_registry()
    {
        var api = new BuildApi(service.Client);
        var tag = $"{service.Registry}/hybridbuild/published:{Guid.NewGuid():N}";
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = $"FROM busybox AS img\nRUN echo {Guid.NewGuid():N} > /stamp\n" } } },
            Stages = [new StageSpec { Name = "img", Target = "img", Output = new OutputSpec { Type = Core.Domain.OutputType.Image, Tags = [tag], Push = true } }],
        };
        var build = await api.WaitSucceededAsync((await api.SubmitAsync(spec)).Id);
        var digest = build.Stages.Single().ImageDigest!;

        using var response = await service.Client.PostAsJsonAsync($"/api/v1/builds/{build.Id}/publications", new { target = "registry-test", path = "app:{buildId}" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        JsonObject publication;
        var location = response.Headers.Location!.OriginalString;
        do
        {
            await Task.Delay(100);
            publication = (await service.Client.GetFromJsonAsync<JsonObject>(location))!;
        } while (publication["status"]!.GetValue<string>() is "queued" or "running");
        Assert.True(publication["status"]!.GetValue<string>() == "succeeded", publication.ToJsonString());
        Assert.DoesNotContain(ServiceFixture.RegistryPassword, publication.ToJsonString());

        using var registry = new HttpClient { BaseAddress = new Uri($"http://{service.ProtectedRegistry}") };
        var manifest = new HttpRequestMessage(HttpMethod.Head, $"/v2/mirror/app/manifests/{build.Id}");
        manifest.Headers.Accept.ParseAdd("application/vnd.oci.image.index.v1+json");
        manifest.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        manifest.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        manifest.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{ServiceFixture.RegistryUser}:{ServiceFixture.RegistryPassword}")));
        using var found = await registry.SendAsync(manifest);
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(digest, found.Headers.GetValues("Docker-Content-Digest").Single());
    }
}
