namespace HybridBuild.Api.Tests;

/// <summary>
/// Webhooks from GitHub, GitLab and the generic HMAC scheme, with payloads and signatures made as the providers'
/// documentation describes, starting builds of a repository served by git daemon on loopback.
/// </summary>
[Collection(LiveService.Name)]
public sealed class TriggerTests(ServiceFixture service) : IAsyncLifetime
{
    private const string Secret = "webhook-secret-for-tests-0123456789";
    private readonly BuildApi _api = new(service.Client);
    private GitRepository _repository = null!;
    private string _url = "";
    private string _commit = "";

    public async Task InitializeAsync()
    {
        _repository = await GitRepository.CreateAsync(new Dictionary<string, string>
        {
            ["Dockerfile"] = "FROM scratch AS out\nCOPY version.txt /\n",
            ["version.txt"] = $"pushed {Guid.NewGuid():N}\n",
            ["hybridbuild.json"] = """{"stages":[{"name":"from-file","target":"out"}]}""",
        });
        (_url, _commit) = (_repository.Url, _repository.Commit);
    }

    public Task DisposeAsync() => _repository.DisposeAsync().AsTask();

    private async Task<string> CreateTriggerAsync(string provider, string[]? branches = null, string[]? tags = null, string? specPath = null, object? spec = null)
    {
        using var response = await service.Client.PostAsJsonAsync("/api/v1/triggers", new
        {
            name = $"{provider} trigger", repositoryUrl = _url, provider, branches = branches ?? ["main"], tags = tags ?? [], secret = Secret,
            spec = specPath is null ? spec ?? new { stages = new[] { new { name = "out", target = "out" } } } : null,
            specPath,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.DoesNotContain(Secret, body.ToJsonString());
        return body["webhookUrl"]!.GetValue<string>();
    }

    private static string GithubPush(string @ref, string after) =>
        $$$"""{"ref":"{{{@ref}}}","before":"0000000000000000000000000000000000000000","after":"{{{after}}}","repository":{"full_name":"org/app"},"pusher":{"name":"t"}}""";

    private async Task<HttpResponseMessage> DeliverGithubAsync(string webhook, string @event, string payload, string? delivery = null, string secret = Secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", delivery ?? Guid.NewGuid().ToString());
        // GitHub: "sha256=" and the hex HMAC-SHA256 of the raw body, keyed with the webhook secret
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload))));
        using var anonymous = service.ClientWithKey(null); // webhooks carry a signature, not an API key
        return await anonymous.SendAsync(request);
    }

    private async Task<HttpResponseMessage> DeliverGitlabAsync(string webhook, string payload, string token = Secret, string? delivery = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Gitlab-Event", "Push Hook");
        request.Headers.Add("X-Gitlab-Token", token);
        request.Headers.Add("X-Gitlab-Event-UUID", delivery ?? Guid.NewGuid().ToString());
        using var anonymous = service.ClientWithKey(null);
        return await anonymous.SendAsync(request);
    }

    /// <summary>The generic scheme: HMAC-SHA256 of "{timestamp}.{body}", the delivery id in Idempotency-Key.</summary>
    private async Task<HttpResponseMessage> DeliverGenericAsync(string webhook, string payload, DateTimeOffset at, string key)
    {
        var stamp = at.ToUnixTimeSeconds().ToString();
        var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Hybridbuild-Timestamp", stamp);
        request.Headers.Add("X-Hybridbuild-Signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{stamp}.{payload}"))));
        request.Headers.Add("Idempotency-Key", key);
        using var anonymous = service.ClientWithKey(null);
        return await anonymous.SendAsync(request);
    }

    private string GitlabPush(string extra = "") =>
        $$$"""{"object_kind":"push","event_name":"push","ref":"refs/heads/main","checkout_sha":"{{{_commit}}}","after":"{{{_commit}}}","project":{"git_http_url":"{{{_url}}}"}{{{extra}}}}""";

    private async Task<JsonArray> DeliveriesAsync(string webhook) =>
        JsonNode.Parse(await service.Client.GetStringAsync(webhook.Replace("/webhooks/", "/triggers/") + "/deliveries"))!.AsArray();

    private static async Task<string?> BuildIdAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["buildId"]?.GetValue<string>();

    [Fact]
    public async Task A_GitHub_push_that_matches_builds_that_commit_once_however_often_it_is_delivered()
    {
        var webhook = await CreateTriggerAsync("github");
        var delivery = Guid.NewGuid().ToString();
        var watch = Stopwatch.StartNew();
        using var first = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", _commit), delivery);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5)); // answered at once; the build runs as jobs
        var buildId = Guid.Parse((await first.Content.ReadFromJsonAsync<JsonObject>())!["buildId"]!.GetValue<string>());

        using var again = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", _commit), delivery);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(buildId.ToString(), (await again.Content.ReadFromJsonAsync<JsonObject>())!["buildId"]!.GetValue<string>());

        var done = await _api.WaitSucceededAsync(buildId);
        Assert.Equal(_commit, done.Source.GitCommit);
        var deliveries = JsonNode.Parse(await service.Client.GetStringAsync(webhook.Replace("/webhooks/", "/triggers/") + "/deliveries"))!.AsArray();
        var logged = Assert.Single(deliveries);
        Assert.Equal(buildId.ToString(), logged!["buildId"]!.GetValue<string>());
        Assert.Equal("started", logged["outcome"]!.GetValue<string>());

        // a replay starts a new build of the same commit
        using var replay = await service.Client.PostAsync(webhook.Replace("/webhooks/", "/triggers/") + $"/deliveries/{logged["id"]!.GetValue<string>()}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var replayed = Guid.Parse((await replay.Content.ReadFromJsonAsync<JsonObject>())!["buildId"]!.GetValue<string>());
        Assert.NotEqual(buildId, replayed);
        Assert.Equal(_commit, (await _api.WaitSucceededAsync(replayed)).Source.GitCommit);
    }

    [Fact]
    public async Task A_trigger_keeps_a_matrix_spec_and_its_builds_run_every_combination_and_too_many_is_a_400()
    {
        var webhook = await CreateTriggerAsync("github", spec: new { stages = new[] { new { name = "out", target = "out", matrix = new { v = new[] { "a", "b" } } } } });
        using var accepted = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", _commit));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        var done = await _api.WaitSucceededAsync(Guid.Parse((await BuildIdAsync(accepted))!));
        Assert.Equal(["out-a", "out-b"], done.Stages.Select(s => s.Name));
        Assert.Equal(["a", "b"], done.Stages.Select(s => s.Matrix!.Values["v"]));

        var tooMany = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync("/api/v1/triggers", new
        {
            name = "x", repositoryUrl = _url, provider = "github", secret = Secret,
            spec = new { stages = new[] { new { name = "s", matrix = new { v = new[] { "1", "2", "3", "4", "5" } } } } },
        }), HttpStatusCode.BadRequest, "validation");
        Assert.Contains("at most 4", tooMany["errors"]!["spec.stages[0].matrix"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_trigger_whose_spec_is_a_file_in_the_repository_reads_it_at_the_pushed_commit()
    {
        var webhook = await CreateTriggerAsync("github", specPath: "hybridbuild.json");
        using var accepted = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", _commit));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("queued", (await accepted.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
        JsonNode? delivery = null;
        for (var i = 0; i < 200; i++)
        {
            delivery = JsonNode.Parse(await service.Client.GetStringAsync(webhook.Replace("/webhooks/", "/triggers/") + "/deliveries"))!.AsArray().Single();
            if (delivery!["outcome"]!.GetValue<string>() is not ("queued" or "running")) break; // running: its job reads the spec file
            await Task.Delay(100);
        }
        Assert.True(delivery!["outcome"]!.GetValue<string>() == "started", delivery.ToJsonString());
        var build = await _api.WaitSucceededAsync(Guid.Parse(delivery["buildId"]!.GetValue<string>()));
        Assert.Equal("from-file", build.Stages.Single().Name);
        Assert.Equal(_commit, build.Source.GitCommit);
    }

    [Fact]
    public async Task A_bad_or_missing_signature_is_401_and_creates_nothing()
    {
        var webhook = await CreateTriggerAsync("github");
        var before = await _api.CountAsync();
        using var wrong = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", _commit), secret: "not-the-secret-at-all-0123");
        await BuildApi.ProblemAsync(wrong, HttpStatusCode.Unauthorized, "webhook-signature");
        using var anonymous = service.ClientWithKey(null);
        using var unsigned = await anonymous.PostAsync(webhook, new StringContent(GithubPush("refs/heads/main", _commit), Encoding.UTF8, "application/json"));
        await BuildApi.ProblemAsync(unsigned, HttpStatusCode.Unauthorized, "webhook-signature");
        Assert.Equal(before, await _api.CountAsync());
        Assert.Empty(JsonNode.Parse(await service.Client.GetStringAsync(webhook.Replace("/webhooks/", "/triggers/") + "/deliveries"))!.AsArray());
    }

    [Fact]
    public async Task A_trigger_whose_secret_can_no_longer_be_decrypted_refuses_deliveries_with_401_not_500()
    {
        var webhook = await CreateTriggerAsync("github");
        await using (var connection = new Npgsql.NpgsqlConnection(service.ConnectionString))
        {
            await connection.OpenAsync();
            // as if sealed under another master key
            await using var update = new Npgsql.NpgsqlCommand("""UPDATE hybridbuild.triggers SET "SecretCiphertext" = @c WHERE "Id" = @id""", connection);
            update.Parameters.AddWithValue("c", RandomNumberGenerator.GetBytes(64).Select((b, i) => i == 0 ? (byte)1 : b).ToArray());
            update.Parameters.AddWithValue("id", Guid.Parse(webhook[(webhook.LastIndexOf('/') + 1)..]));
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }
        var before = await _api.CountAsync();
        using var response = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", _commit));
        await BuildApi.ProblemAsync(response, HttpStatusCode.Unauthorized, "webhook-signature");
        Assert.Equal(before, await _api.CountAsync());
    }

    [Fact]
    public async Task A_push_whose_commit_is_not_a_commit_id_is_recorded_as_ignored_not_a_500()
    {
        var webhook = await CreateTriggerAsync("github");
        using var response = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", new string('x', 100)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivery = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("ignored", delivery["outcome"]!.GetValue<string>());
        Assert.Null(delivery["commit"]);
    }

    [Fact]
    public async Task A_push_of_a_very_long_branch_name_that_matches_no_filter_is_recorded_as_ignored_not_a_500()
    {
        var webhook = await CreateTriggerAsync("github");
        using var response = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/" + new string('b', 400), _commit));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ignored", (await response.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_ping_and_pushes_that_do_not_match_are_acknowledged_without_a_build()
    {
        var webhook = await CreateTriggerAsync("github", branches: ["release/*"]);
        var before = await _api.CountAsync();
        using var ping = await DeliverGithubAsync(webhook, "ping", """{"zen":"Keep it logically awesome.","hook_id":1}""");
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("ignored", (await ping.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
        using var other = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/main", _commit));
        Assert.Contains("matches no branch filter", (await other.Content.ReadFromJsonAsync<JsonObject>())!["reason"]!.GetValue<string>());
        using var deleted = await DeliverGithubAsync(webhook, "push", GithubPush("refs/heads/release/1", "0000000000000000000000000000000000000000"));
        Assert.Equal("ignored", (await deleted.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
        Assert.Equal(before, await _api.CountAsync());
    }

    [Fact]
    public async Task A_GitLab_push_hook_with_its_token_builds_and_a_wrong_token_is_401()
    {
        var webhook = await CreateTriggerAsync("gitlab");
        await BuildApi.ProblemAsync(await DeliverGitlabAsync(webhook, GitlabPush(), "wrong-token-wrong-token"), HttpStatusCode.Unauthorized, "webhook-signature");
        using var accepted = await DeliverGitlabAsync(webhook, GitlabPush());
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var build = Guid.Parse((await BuildIdAsync(accepted))!);
        Assert.Equal(_commit, (await _api.WaitSucceededAsync(build)).Source.GitCommit);
    }

    [Fact]
    public async Task A_generic_delivery_needs_a_fresh_timestamp_and_its_HMAC()
    {
        var webhook = await CreateTriggerAsync("generic");
        var payload = $$"""{"ref":"refs/heads/main","commit":"{{_commit}}"}""";
        await BuildApi.ProblemAsync(await DeliverGenericAsync(webhook, payload, DateTimeOffset.UtcNow.AddMinutes(-10), Guid.NewGuid().ToString()), HttpStatusCode.Unauthorized, "webhook-signature");
        var key = Guid.NewGuid().ToString();
        using var accepted = await DeliverGenericAsync(webhook, payload, DateTimeOffset.UtcNow, key);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var again = await DeliverGenericAsync(webhook, payload, DateTimeOffset.UtcNow, key);
        Assert.Equal(await BuildIdAsync(accepted), await BuildIdAsync(again));
    }

    [Fact]
    public async Task A_captured_GitHub_push_sent_again_under_a_new_delivery_id_is_a_duplicate_and_builds_once()
    {
        var webhook = await CreateTriggerAsync("github");
        var payload = GithubPush("refs/heads/main", _commit);
        using var first = await DeliverGithubAsync(webhook, "push", payload);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var buildId = await BuildIdAsync(first);
        var before = await _api.CountAsync();

        // the attacker's copy: the same body and signature, a fresh X-GitHub-Delivery; answered as a repeated delivery is
        using var replayed = await DeliverGithubAsync(webhook, "push", payload);
        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal(buildId, await BuildIdAsync(replayed));
        Assert.Equal(before, await _api.CountAsync());
        var logged = Assert.Single(await DeliveriesAsync(webhook));

        // the manual replay still starts a new build, and the captured body stays a duplicate after it
        using var replay = await service.Client.PostAsync(webhook.Replace("/webhooks/", "/triggers/") + $"/deliveries/{logged!["id"]!.GetValue<string>()}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        Assert.NotEqual(buildId, await BuildIdAsync(replay));
        using var afterReplay = await DeliverGithubAsync(webhook, "push", payload);
        Assert.Equal(HttpStatusCode.OK, afterReplay.StatusCode);
        Assert.Equal(buildId, await BuildIdAsync(afterReplay));

        // a different push (another body) still builds
        using var other = await DeliverGithubAsync(webhook, "push", payload.Replace("\"name\":\"t\"", "\"name\":\"u\""));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.NotEqual(buildId, await BuildIdAsync(other));
        Assert.Equal(3, (await DeliveriesAsync(webhook)).Count);
    }

    [Fact]
    public async Task Two_identical_GitHub_pushes_under_different_delivery_ids_at_once_start_one_build()
    {
        var webhook = await CreateTriggerAsync("github");
        var payload = GithubPush("refs/heads/main", _commit);
        for (var round = 0; round < 3; round++)
        {
            var body = payload.Replace("\"name\":\"t\"", $"\"name\":\"racer-{round}\"");
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => DeliverGithubAsync(webhook, "push", body)));
            Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Accepted));
            Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
            Assert.Single((await Task.WhenAll(answers.Select(BuildIdAsync))).Distinct());
            foreach (var answer in answers) answer.Dispose();
        }
        Assert.Equal(3, (await DeliveriesAsync(webhook)).Count);
    }

    [Fact]
    public async Task A_GitLab_push_hook_sent_again_under_a_new_event_UUID_is_a_duplicate()
    {
        var webhook = await CreateTriggerAsync("gitlab");
        using var first = await DeliverGitlabAsync(webhook, GitlabPush());
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var before = await _api.CountAsync();
        using var again = await DeliverGitlabAsync(webhook, GitlabPush());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(await BuildIdAsync(first), await BuildIdAsync(again));
        Assert.Equal(before, await _api.CountAsync());

        using var other = await DeliverGitlabAsync(webhook, GitlabPush(""","user_name":"someone else" """));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Equal(2, (await DeliveriesAsync(webhook)).Count);
    }

    [Fact]
    public async Task A_generic_delivery_sent_again_inside_its_window_under_a_new_key_is_a_duplicate_but_a_fresh_signature_builds()
    {
        var webhook = await CreateTriggerAsync("generic");
        var payload = $$"""{"ref":"refs/heads/main","commit":"{{_commit}}"}""";
        var at = DateTimeOffset.UtcNow;
        using var first = await DeliverGenericAsync(webhook, payload, at, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var buildId = await BuildIdAsync(first);
        var before = await _api.CountAsync();
        using var again = await DeliverGenericAsync(webhook, payload, at, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(buildId, await BuildIdAsync(again));
        Assert.Equal(before, await _api.CountAsync());

        // the sender signing the same body anew (another timestamp) means another delivery
        using var resigned = await DeliverGenericAsync(webhook, payload, at.AddSeconds(-2), Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Accepted, resigned.StatusCode);
        Assert.NotEqual(buildId, await BuildIdAsync(resigned));
    }

    [Fact]
    public async Task Triggers_need_an_admin_key_and_a_valid_definition()
    {
        using var created = await service.Client.PostAsJsonAsync("/api/v1/keys", new { name = "ci", scopes = new[] { "builds:write", "builds:read" } });
        using var ci = service.ClientWithKey((await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>());
        await BuildApi.ProblemAsync(await ci.GetAsync("/api/v1/triggers"), HttpStatusCode.Forbidden, "forbidden");
        var provider = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync("/api/v1/triggers", new { name = "x", repositoryUrl = _url, provider = "bitbucket", secret = Secret }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("provider", provider["field"]!.GetValue<string>());
        // a list of providers (which Enum.TryParse would OR together, storing a value GET /triggers cannot show), or a number
        foreach (var listed in new[] { "gitlab,generic", "1" })
            await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync("/api/v1/triggers", new { name = "x", repositoryUrl = _url, provider = listed, secret = Secret }), HttpStatusCode.BadRequest, "validation");
        // branch filters: a null entry or a control character
        foreach (var branches in new[] { new string?[] { null }, ["main\u0000"], ["ma\nin"] })
        {
            var filter = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync("/api/v1/triggers",
                new { name = "x", repositoryUrl = _url, provider = "github", secret = Secret, branches, spec = new { stages = new[] { new { name = "s" } } } }), HttpStatusCode.BadRequest, "validation");
            Assert.Contains("branches[0]", filter["errors"]!.AsObject().Select(e => e.Key));
        }
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/api/v1/triggers")).StatusCode); // nothing unreadable was stored
        var url = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync("/api/v1/triggers", new { name = "x", repositoryUrl = "http://169.254.169.254/x.git", provider = "github", secret = Secret }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("repositoryUrl", url["field"]!.GetValue<string>());
        var secret = await BuildApi.ProblemAsync(await service.Client.PostAsJsonAsync("/api/v1/triggers", new { name = "x", repositoryUrl = _url, provider = "github", secret = "short" }), HttpStatusCode.BadRequest, "validation");
        Assert.Equal("secret", secret["field"]!.GetValue<string>());
    }
}
