namespace HybridBuild.Api.Tests;

/// <summary>
/// Builds started by a trigger with report settings post commit statuses to strict GitHub and GitLab test servers on
/// loopback, which refuse anything but the documented requests; the token stays write-only.
/// </summary>
[Collection(LiveService.Name)]
public sealed class CommitStatusTests(ServiceFixture service) : IAsyncLifetime
{
    private const string Secret = "webhook-secret-for-tests-0123456789";
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(2);
    private readonly string _token = "status-token-" + Guid.NewGuid().ToString("N");
    private readonly BuildApi _api = new(service.Client);
    private GitRepository _repository = null!;

    public async Task InitializeAsync() => _repository = await GitRepository.CreateAsync(new Dictionary<string, string>
    {
        ["Dockerfile"] = "FROM scratch AS out\nCOPY version.txt /\nFROM busybox AS slow\nRUN sleep 120\n",
        ["version.txt"] = $"pushed {Guid.NewGuid():N}\n",
    });

    public Task DisposeAsync() => _repository.DisposeAsync().AsTask();

    private async Task<(string Webhook, string TriggerUrl)> CreateTriggerAsync(string provider, string target, string apiUrl, string name, string? notify = null)
    {
        using var response = await service.Client.PostAsJsonAsync("/api/v1/triggers", new
        {
            name, repositoryUrl = _repository.Url, provider, branches = new[] { "main" }, secret = Secret,
            spec = new { stages = new[] { new { name = "s", target } } },
            report = new { token = _token, apiUrl, repository = "org/app" },
            notify = notify is null ? null : new[] { new { url = notify, events = new[] { "build.succeeded" } } },
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.DoesNotContain(_token, text);
        var body = JsonNode.Parse(text)!;
        return (body["webhookUrl"]!.GetValue<string>(), response.Headers.Location!.ToString());
    }

    private async Task<Guid> PushAsync(string webhook, string provider)
    {
        var payload = provider == "github"
            ? $$$"""{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"{{{_repository.Commit}}}","repository":{"full_name":"org/app"}}"""
            : $$$"""{"object_kind":"push","ref":"refs/heads/main","checkout_sha":"{{{_repository.Commit}}}","after":"{{{_repository.Commit}}}","project":{"git_http_url":"{{{_repository.Url}}}"}}""";
        var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        if (provider == "github")
        {
            request.Headers.Add("X-GitHub-Event", "push");
            request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(payload))));
        }
        else
        {
            request.Headers.Add("X-Gitlab-Event", "Push Hook");
            request.Headers.Add("X-Gitlab-Token", Secret);
            request.Headers.Add("X-Gitlab-Event-UUID", Guid.NewGuid().ToString());
        }
        using var anonymous = service.ClientWithKey(null);
        using var response = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await response.Content.ReadFromJsonAsync<JsonObject>())!["buildId"]!.GetValue<string>());
    }

    private async Task<JsonArray> NotificationsAsync(Guid buildId) =>
        JsonNode.Parse(await service.Client.GetStringAsync($"/api/v1/builds/{buildId}/notifications"))!.AsArray();

    [Fact]
    public async Task A_GitHub_push_posts_pending_then_success_for_its_commit_notifies_the_trigger_receivers_and_never_shows_or_logs_the_token()
    {
        await using var github = await CommitStatusServer.StartAsync("github", _token);
        await using var receiver = await StandardWebhookReceiver.StartAsync(ServiceFixture.NotificationSecret);
        var name = $"status-{Guid.NewGuid():N}"[..20];
        var (webhook, trigger) = await CreateTriggerAsync("github", "out", github.ApiUrl, name, receiver.Url());

        var buildId = await PushAsync(webhook, "github");
        await _api.WaitSucceededAsync(buildId);
        var statuses = await github.WaitForAsync("success", Wait);

        Assert.Empty(github.Refusals);
        Assert.All(statuses, s => Assert.Equal(("org/app", _repository.Commit, $"hybridbuild/{name}"), (s.Repository, s.Sha, s.Context)));
        Assert.Equal($"{ServiceFixture.PublicUrl}/api/v1/builds/{buildId}", statuses[^1].TargetUrl);
        Assert.Equal("success", statuses[^1].State);
        Assert.Equal("pending", statuses[0].State);
        Assert.All(statuses.SkipLast(1), s => Assert.Equal("pending", s.State)); // queued, then running: nothing after the success

        var log = await NotificationsAsync(buildId);
        Assert.Contains(log, n => n!["event"]!.GetValue<string>() == "build.succeeded" && n["status"]!.GetValue<string>() == "delivered"
            && n["statusCode"]!.GetValue<int>() == 201 && n["kind"]!.GetValue<string>() == "githubStatus");
        Assert.DoesNotContain(_token, log.ToJsonString());
        var shown = await service.Client.GetStringAsync(trigger);
        Assert.DoesNotContain(_token, shown);
        Assert.Equal(github.ApiUrl, JsonNode.Parse(shown)!["report"]!["apiUrl"]!.GetValue<string>());
        Assert.DoesNotContain(_token, await service.Client.GetStringAsync("/api/v1/triggers"));
        Assert.DoesNotContain(_token, service.Logs.Text);

        // the trigger's own receivers hear of its builds too
        var heard = await receiver.WaitForAsync(r => r.Any(w => w.Type == "build.succeeded"), Wait);
        Assert.Equal(buildId.ToString(), JsonNode.Parse(Assert.Single(heard).Body)!["data"]!["buildId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_GitHub_push_whose_build_fails_posts_failure()
    {
        await using var github = await CommitStatusServer.StartAsync("github", _token);
        var (webhook, _) = await CreateTriggerAsync("github", "no-such-target", github.ApiUrl, $"failing-{Guid.NewGuid():N}"[..20]);

        var buildId = await PushAsync(webhook, "github");
        Assert.Equal(BuildStatus.Failed, (await _api.WaitFinishedAsync(buildId)).Status);
        var statuses = await github.WaitForAsync("failure", Wait);
        Assert.Empty(github.Refusals);
        Assert.Equal("failure", statuses[^1].State);
        Assert.DoesNotContain(statuses, s => s.State == "success");
    }

    [Fact]
    public async Task A_GitLab_push_whose_build_is_cancelled_posts_running_then_canceled_to_the_encoded_project_path()
    {
        await using var gitlab = await CommitStatusServer.StartAsync("gitlab", _token);
        var (webhook, _) = await CreateTriggerAsync("gitlab", "slow", gitlab.ApiUrl, $"gitlab-{Guid.NewGuid():N}"[..20]);

        var buildId = await PushAsync(webhook, "gitlab");
        await gitlab.WaitForAsync("running", Wait);
        using (var cancel = await service.Client.PostAsync($"/api/v1/builds/{buildId}/cancel", null))
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(BuildStatus.Cancelled, (await _api.WaitFinishedAsync(buildId)).Status);
        var statuses = await gitlab.WaitForAsync("canceled", Wait);

        Assert.Empty(gitlab.Refusals);
        Assert.Equal(new[] { "pending", "running", "canceled" }, statuses.Select(s => s.State));
        Assert.All(statuses, s => Assert.Equal(("org/app", _repository.Commit), (s.Repository, s.Sha)));
    }

    [Fact]
    public async Task Report_settings_are_checked_a_generic_trigger_cannot_report_and_a_metadata_API_is_a_400()
    {
        async Task<JsonObject> RefusedAsync(string provider, object report)
        {
            using var response = await service.Client.PostAsJsonAsync("/api/v1/triggers", new
            {
                name = "bad report", repositoryUrl = _repository.Url, provider, secret = Secret,
                spec = new { stages = new[] { new { name = "s", target = "out" } } }, report,
            });
            return (JsonObject)(await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation"))["errors"]!;
        }

        Assert.NotNull((await RefusedAsync("github", new { token = _token, apiUrl = "http://169.254.169.254/", repository = "org/app" }))["report.apiUrl"]);
        Assert.NotNull((await RefusedAsync("github", new { token = _token }))["report.repository"]); // git://host/app.git names no owner
        Assert.NotNull((await RefusedAsync("gitlab", new { apiUrl = "https://gitlab.example.test/api/v4", repository = "org/app" }))["report.token"]);
        Assert.NotNull((await RefusedAsync("generic", new { token = _token, repository = "org/app" }))["report"]);
    }
}
