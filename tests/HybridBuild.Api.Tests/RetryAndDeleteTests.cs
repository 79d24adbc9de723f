namespace HybridBuild.Api.Tests;

/// <summary>A finished build runs its unsuccessful stages again as a new attempt, or is deleted with what only it holds.</summary>
[Collection(LiveService.Name)]
public sealed class RetryAndDeleteTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    private static string Nonce() => Guid.NewGuid().ToString("N");

    private static BuildSpec Inline(string dockerfile, params StageSpec[] stages) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = dockerfile } } },
        Stages = [.. stages],
    };

    private static StageSpec NoOutput(string name, params string[] needs) =>
        new() { Name = name, Target = name, Needs = [.. needs], BuildArgs = new() { ["nonce"] = Nonce() }, Output = new OutputSpec { Type = OutputType.None } };

    private Task<HttpResponseMessage> RetryAsync(Guid id) => service.Client.PostAsync($"/api/v1/builds/{id}/retry", null);

    private async Task SetSecretAsync(string name, string value) =>
        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.PutAsJsonAsync($"/api/v1/secrets/{name}", new { value })).StatusCode);

    [Fact]
    public async Task A_retry_runs_the_failed_and_skipped_stages_again_as_attempt_2_and_keeps_the_succeeded_stage_and_its_artifact()
    {
        // stage b passes only once the secret says so: the test fixes the cause between the attempts, as a person would
        var flag = $"flag-{Nonce()}"[..20];
        await SetSecretAsync(flag, "stop");
        var dockerfile = $"""
            FROM busybox AS make
            ARG nonce
            RUN mkdir /out && echo "made for $nonce" > /out/a.txt
            FROM scratch AS a
            COPY --from=make /out/ /
            FROM busybox AS b
            ARG nonce
            RUN --mount=type=secret,id={flag} echo $nonce && test "$(cat /run/secrets/{flag})" = go
            FROM busybox AS c
            ARG nonce
            RUN echo $nonce
            """;
        var b = NoOutput("b", "a") with { Secrets = [flag] };
        var submitted = await _api.SubmitAsync(Inline(dockerfile,
            new StageSpec { Name = "a", Target = "a", BuildArgs = new() { ["nonce"] = Nonce() } }, b, NoOutput("c", "b")));
        var first = await _api.WaitFinishedAsync(submitted.Id);
        Assert.Equal(BuildStatus.Failed, first.Status);
        Assert.Equal(1, first.Attempt);
        Assert.Equal([StageStatus.Succeeded, StageStatus.Failed, StageStatus.Skipped], first.Stages.Select(s => s.Status));
        var a1 = first.Stages[0];

        await SetSecretAsync(flag, "go");
        using var retried = await RetryAsync(submitted.Id);
        var accepted = await BuildApi.AcceptedAsync(retried);
        Assert.Equal($"/api/v1/builds/{submitted.Id}", retried.Headers.Location?.OriginalString);
        Assert.Equal(2, accepted.Attempt);
        Assert.Null(accepted.FinishedAt);
        Assert.NotNull(accepted.Stages[0].Artifacts); // the same shape as GET, with the kept artifacts
        var second = await _api.WaitSucceededAsync(submitted.Id);

        Assert.Equal(submitted.Id, second.Id);
        Assert.Equal(2, second.Attempt);
        var (a2, b1, b2, c2) = (second.Stages[0], first.Stages[1], second.Stages[1], second.Stages[2]);
        Assert.Equal(a1.StartedAt, a2.StartedAt); // a was not run again
        Assert.Equal(1, a2.Attempts);
        Assert.Equal(a1.Artifacts!.Single().Sha256, a2.Artifacts!.Single().Sha256);
        Assert.Equal(1, b2.Attempts); // runs within this attempt of the build
        Assert.True(b2.StartedAt > b1.FinishedAt, $"b ran again: first run ended {b1.FinishedAt:O}, second started {b2.StartedAt:O}");
        Assert.Equal(StageStatus.Succeeded, c2.Status);
        Assert.Null(b2.Error);
        Assert.Contains("==> attempt 2: stage b runs again (attempt 1 left it failed", await _api.LogAsync(submitted.Id));
        Assert.Contains("==> attempt 2: stage c runs again (attempt 1 left it skipped", await _api.LogAsync(submitted.Id, "c"));
    }

    [Fact]
    public async Task A_retry_needs_the_retrying_key_to_hold_the_grants_of_the_secrets_its_stages_mount()
    {
        var secret = $"retry-{Nonce()}"[..20];
        await SetSecretAsync(secret, "value"); // no allowedKeys: admins only
        var failing = NoOutput("s") with { Secrets = [secret] };
        var build = await _api.SubmitAsync(Inline($"FROM busybox AS s\nARG nonce\nRUN --mount=type=secret,id={secret} echo $nonce && false\n", failing));
        Assert.Equal(BuildStatus.Failed, (await _api.WaitFinishedAsync(build.Id)).Status);
        using var writer = service.ClientWithKey(await _api.CreateKeyAsync($"retrier-{Nonce()}", ApiScopes.BuildsWrite, ApiScopes.BuildsRead));

        var refused = await BuildApi.ProblemAsync(await writer.PostAsync($"/api/v1/builds/{build.Id}/retry", null), HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal("stages[0].secrets[0]", refused["field"]!.GetValue<string>());
        Assert.Contains(secret, refused["detail"]!.GetValue<string>());
        var untouched = await _api.GetAsync(build.Id);
        Assert.Equal((BuildStatus.Failed, 1), (untouched.Status, untouched.Attempt));
        Assert.Equal(2, (await BuildApi.AcceptedAsync(await RetryAsync(build.Id))).Attempt); // the admin may
        await _api.WaitFinishedAsync(build.Id);
    }

    [Fact]
    public async Task A_retried_build_that_succeeds_gets_its_automatic_publication_once_with_the_kept_artifact()
    {
        var flag = $"gate-{Nonce()}"[..20];
        await SetSecretAsync(flag, "stop");
        var note = $"retried {Nonce()}\n";
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                ["Dockerfile"] = $"FROM scratch AS a\nCOPY notes.txt /\nFROM busybox AS b\nARG nonce\nRUN --mount=type=secret,id={flag} echo $nonce && test \"$(cat /run/secrets/{flag})\" = go\n",
                ["notes.txt"] = note,
            } } },
            Stages = [new StageSpec { Name = "a", Target = "a" }, NoOutput("b", "a") with { Secrets = [flag] }],
            Publish = [new PublishSpec { Target = "artifactory-test", Stages = ["a"], Path = "retried/{buildId}/{file}" }],
        };
        var build = await _api.SubmitAsync(spec);
        Assert.Equal(BuildStatus.Failed, (await _api.WaitFinishedAsync(build.Id)).Status);
        Assert.Equal(0, await PublicationsOfAsync(build.Id));

        await SetSecretAsync(flag, "go");
        await BuildApi.AcceptedAsync(await RetryAsync(build.Id));
        await _api.WaitSucceededAsync(build.Id);

        HybridBuild.Testing.Artifactory.StoredArtifact? stored = null;
        for (var i = 0; i < 100 && stored is null; i++)
        {
            stored = service.Artifactory.Find("generic-local", $"retried/{build.Id}/notes.txt");
            if (stored is null) await Task.Delay(100);
        }
        Assert.NotNull(stored);
        Assert.Equal(Encoding.UTF8.GetBytes(note), stored.Content);
        Assert.Equal(1, await PublicationsOfAsync(build.Id));
    }

    private Task<long> PublicationsOfAsync(Guid buildId) =>
        Sql.ScalarAsync<long>(service.ConnectionString, "SELECT count(*) FROM hybridbuild.publications WHERE \"BuildId\" = @id", ("id", buildId));

    [Fact]
    public async Task A_succeeded_build_cannot_be_retried_and_an_unknown_one_is_a_404()
    {
        var done = await _api.WaitSucceededAsync((await _api.SubmitAsync(Inline("FROM busybox AS ok\nARG nonce\nRUN echo $nonce\n", NoOutput("ok")))).Id);

        var problem = await BuildApi.ProblemAsync(await RetryAsync(done.Id), HttpStatusCode.Conflict, "build-succeeded");
        Assert.Contains(done.Id.ToString(), problem["detail"]!.GetValue<string>());
        Assert.Equal(1, (await _api.GetAsync(done.Id)).Attempt);
        await BuildApi.ProblemAsync(await RetryAsync(Guid.NewGuid()), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Of_two_retries_at_once_exactly_one_starts_the_next_attempt_and_the_other_is_a_409()
    {
        var build = await _api.SubmitAsync(Inline("FROM busybox AS broken\nARG nonce\nRUN echo $nonce && exit 1\n", NoOutput("broken")));
        Assert.Equal(BuildStatus.Failed, (await _api.WaitFinishedAsync(build.Id)).Status);

        var answers = await Task.WhenAll(RetryAsync(build.Id), RetryAsync(build.Id));

        Assert.Single(answers, r => r.StatusCode == HttpStatusCode.Accepted);
        await BuildApi.ProblemAsync(answers.Single(r => r.StatusCode != HttpStatusCode.Accepted), HttpStatusCode.Conflict, "build-not-finished");
        var again = await _api.WaitFinishedAsync(build.Id);
        Assert.Equal(BuildStatus.Failed, again.Status);
        Assert.Equal(2, again.Attempt);
        Assert.Equal(1, again.Stages.Single().Attempts); // one run in the second attempt, not two
    }

    [Fact]
    public async Task A_cancelled_build_is_retried_from_the_stage_that_was_cancelled_and_without_its_cancel_request()
    {
        var build = await _api.SubmitAsync(Inline("FROM busybox AS slow\nARG nonce\nRUN echo $nonce && sleep 60\n", NoOutput("slow")));
        await _api.WaitAsync(build.Id, b => b.Stages.Single().Status == StageStatus.Running, TimeSpan.FromMinutes(2));
        await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        var cancelled = await _api.WaitFinishedAsync(build.Id);
        Assert.Equal(BuildStatus.Cancelled, cancelled.Status);

        var retried = await BuildApi.AcceptedAsync(await RetryAsync(build.Id));

        Assert.False(retried.CancelRequested);
        var running = await _api.WaitAsync(build.Id, b => b.Stages.Single().Status == StageStatus.Running, TimeSpan.FromMinutes(2));
        Assert.Equal(2, running.Attempt);
        Assert.Equal(BuildStatus.Running, running.Status);
        Assert.True(running.Stages.Single().StartedAt > cancelled.Stages.Single().FinishedAt, "the cancelled stage ran again");
        await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        Assert.Equal(BuildStatus.Cancelled, (await _api.WaitFinishedAsync(build.Id)).Status);
    }

    [Fact]
    public async Task Deleting_a_finished_build_removes_its_records_its_context_and_its_own_blobs_but_not_a_blob_another_build_references()
    {
        // both builds export shared.txt with the same content (one blob); only the first exports own.txt
        const string dockerfile = """
            FROM busybox AS make
            ARG nonce
            ARG own
            RUN mkdir /out && echo "the same for every build" > /out/shared.txt && if [ -n "$own" ]; then echo "$own" > /out/own.txt; fi && echo $nonce
            FROM scratch AS out
            COPY --from=make /out/ /
            """;
        var own = Nonce();
        var context = Contexts.TarGz(new Dictionary<string, string> { ["Dockerfile"] = dockerfile });
        var doomed = await _api.WaitSucceededAsync((await _api.SubmitAsync(new BuildSpec
        {
            Stages = [new StageSpec { Name = "out", Target = "out", BuildArgs = new() { ["nonce"] = Nonce(), ["own"] = own } }],
        }, context)).Id);
        var kept = await _api.WaitSucceededAsync((await _api.SubmitAsync(Inline(dockerfile,
            new StageSpec { Name = "out", Target = "out", BuildArgs = new() { ["nonce"] = Nonce() } }))).Id);
        var shared = kept.Stages.Single().Artifacts!.Single(a => a.Path == "shared.txt");
        Assert.Equal(shared.Sha256, doomed.Stages.Single().Artifacts!.Single(a => a.Path == "shared.txt").Sha256);
        var ownSha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(own + "\n")));
        Assert.True(File.Exists(BlobPath(ownSha)), "the build's own artifact is stored");
        var contextBlob = Path.Combine(service.BlobRoot, "contexts", $"{doomed.Id:N}.tar.gz");
        Assert.True(File.Exists(contextBlob), "the uploaded context is stored");

        using var deleted = await service.Client.DeleteAsync($"/api/v1/builds/{doomed.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await BuildApi.ProblemAsync(await service.Client.GetAsync($"/api/v1/builds/{doomed.Id}"), HttpStatusCode.NotFound, "not-found");
        await BuildApi.ProblemAsync(await service.Client.GetAsync($"/api/v1/builds/{doomed.Id}/logs"), HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.NotFound, (await service.Client.GetAsync($"/api/v1/builds/{doomed.Id}/artifacts/out/own.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await service.Client.GetAsync($"/api/v1/builds/{doomed.Id}/artifacts/out/shared.txt")).StatusCode);
        Assert.False(File.Exists(BlobPath(ownSha)), "the blob only the deleted build referenced is gone");
        Assert.False(File.Exists(contextBlob), "the uploaded context is gone");
        Assert.True(File.Exists(BlobPath(shared.Sha256)), "the blob another build references is kept");
        Assert.Equal("the same for every build\n", await service.Client.GetStringAsync(shared.Href));
        await BuildApi.ProblemAsync(await service.Client.DeleteAsync($"/api/v1/builds/{doomed.Id}"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_running_build_cannot_be_deleted_until_it_has_finished_and_an_unknown_one_is_a_404()
    {
        var build = await _api.SubmitAsync(Inline("FROM busybox AS slow\nARG nonce\nRUN echo $nonce && sleep 60\n", NoOutput("slow")));
        await _api.WaitAsync(build.Id, b => b.Status == BuildStatus.Running, TimeSpan.FromMinutes(2));

        var problem = await BuildApi.ProblemAsync(await service.Client.DeleteAsync($"/api/v1/builds/{build.Id}"), HttpStatusCode.Conflict, "build-not-finished");
        Assert.Contains("cancel it first", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync($"/api/v1/builds/{build.Id}")).StatusCode);

        await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        Assert.Equal(BuildStatus.Cancelled, (await _api.WaitFinishedAsync(build.Id)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.DeleteAsync($"/api/v1/builds/{build.Id}")).StatusCode);
        await BuildApi.ProblemAsync(await service.Client.DeleteAsync($"/api/v1/builds/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not-found");
    }

    private string BlobPath(string sha256) => Path.Combine(service.BlobRoot, "artifacts", "sha256", sha256[..2], sha256);
}
