using HybridBuild.Application.Notifications;

namespace HybridBuild.Api.Tests;

/// <summary>
/// Builds with <c>notify</c> deliver their events as Standard Webhooks to a receiver that verifies each one with the
/// configured secret; failures are retried with back-off and show in the build's delivery log.
/// </summary>
[Collection(LiveService.Name)]
public sealed class NotificationTests(ServiceFixture service)
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(2);
    private readonly BuildApi _api = new(service.Client);

    private static BuildSpec Spec(params NotifySpec[] notify) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM scratch AS out\nCOPY a.txt /\n", ["a.txt"] = $"{Guid.NewGuid():N}\n" } } },
        Stages = [new StageSpec { Name = "out", Target = "out" }],
        Notify = [.. notify],
    };

    private async Task<JsonArray> NotificationsAsync(Guid buildId) =>
        JsonNode.Parse(await service.Client.GetStringAsync($"/api/v1/builds/{buildId}/notifications"))!.AsArray();

    [Fact]
    public async Task A_build_delivers_the_events_a_receiver_asked_for_signed_so_that_they_verify_with_the_secret()
    {
        await using var receiver = await StandardWebhookReceiver.StartAsync(ServiceFixture.NotificationSecret);
        var build = await _api.SubmitAsync(Spec(new NotifySpec { Url = receiver.Url(), Events = ["build.started", "build.succeeded"] }));
        await _api.WaitSucceededAsync(build.Id);

        var received = await receiver.WaitForAsync(r => r.Any(w => w.Type == "build.succeeded"), Wait);
        Assert.All(received, r => Assert.Null(r.Refused));
        Assert.Equal(new[] { "build.started", "build.succeeded" }, received.Select(r => r.Type));
        Assert.Equal(2, received.Select(r => r.Id).Distinct().Count());
        var data = JsonNode.Parse(received[^1].Body)!["data"]!;
        Assert.Equal((build.Id.ToString(), "succeeded"), (data["buildId"]!.GetValue<string>(), data["status"]!.GetValue<string>()));

        var log = await NotificationsAsync(build.Id);
        Assert.Equal(2, log.Count);
        Assert.All(log, n => Assert.Equal(("delivered", 1, 200, receiver.Url()),
            (n!["status"]!.GetValue<string>(), n["attempts"]!.GetValue<int>(), n["statusCode"]!.GetValue<int>(), n["url"]!.GetValue<string>())));
        Assert.DoesNotContain(ServiceFixture.NotificationSecret, log.ToJsonString());
        Assert.DoesNotContain(ServiceFixture.NotificationSecret, service.Logs.Text);
    }

    [Fact]
    public async Task A_receiver_that_answers_500_first_gets_the_same_message_again_and_the_log_shows_the_retry()
    {
        await using var receiver = await StandardWebhookReceiver.StartAsync(ServiceFixture.NotificationSecret);
        receiver.FailNext(1);
        var build = await _api.SubmitAsync(Spec(new NotifySpec { Url = receiver.Url(), Events = ["build.succeeded"] }));
        await _api.WaitSucceededAsync(build.Id);

        var received = await receiver.WaitForAsync(r => r.Any(w => w.Answer == 200), Wait);
        Assert.Equal(new[] { 500, 200 }, received.Select(r => r.Answer));
        Assert.Single(received.Select(r => r.Id).Distinct()); // the same message: receivers de-duplicate on webhook-id
        JsonNode? logged = null;
        for (var watch = Stopwatch.StartNew(); watch.Elapsed < Wait; await Task.Delay(200))
            if ((logged = Assert.Single(await NotificationsAsync(build.Id)))!["status"]!.GetValue<string>() == "delivered") break;
        Assert.Equal(("build.succeeded", "delivered", 2, 200), (logged!["event"]!.GetValue<string>(), logged["status"]!.GetValue<string>(),
            logged["attempts"]!.GetValue<int>(), logged["statusCode"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_receiver_that_refuses_the_signature_fails_the_notification_at_once_without_retrying()
    {
        var otherSecret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var receiver = await StandardWebhookReceiver.StartAsync(otherSecret);
        var build = await _api.SubmitAsync(Spec(new NotifySpec { Url = receiver.Url(), Events = ["build.succeeded"] }));
        await _api.WaitSucceededAsync(build.Id);

        var received = await receiver.WaitForAsync(r => r.Count > 0, Wait);
        Assert.Equal(401, Assert.Single(received).Answer);
        JsonNode? logged = null;
        for (var watch = Stopwatch.StartNew(); watch.Elapsed < Wait; await Task.Delay(200))
            if ((logged = Assert.Single(await NotificationsAsync(build.Id)))!["status"]!.GetValue<string>() == "failed") break;
        Assert.Equal(("failed", 1, 401), (logged!["status"]!.GetValue<string>(), logged["attempts"]!.GetValue<int>(), logged["statusCode"]!.GetValue<int>()));
        await Task.Delay(TimeSpan.FromSeconds(3)); // past the first retry's delay: no second attempt comes
        Assert.Single(receiver.Received);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data", "notify[0].url")]
    [InlineData("http://metadata.google.internal/hook", "notify[0].url")]
    [InlineData("ftp://example.test/hook", "notify[0].url")]
    public async Task A_receiver_the_outbound_policy_refuses_is_a_400_naming_the_field_and_stores_nothing(string url, string field)
    {
        var before = await _api.CountAsync();
        using var response = await _api.PostJsonAsync(Spec(new NotifySpec { Url = url }));
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, await _api.CountAsync());
    }

    [Fact]
    public async Task An_unknown_event_is_a_400_naming_it()
    {
        using var response = await _api.PostJsonAsync(Spec(new NotifySpec { Url = "http://127.0.0.1:9/hook", Events = ["build.exploded"] }));
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["notify[0].events[0]"]);
    }

    [Fact]
    public async Task Swagger_shows_notify_the_trigger_report_settings_and_the_delivery_log()
    {
        var document = (await service.Client.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json"))!;
        var schemas = document["components"]!["schemas"]!;
        Assert.NotNull(schemas["BuildSpec"]!["properties"]!["notify"]);
        Assert.NotNull(schemas["TriggerRequest"]!["properties"]!["report"]);
        Assert.NotNull(schemas["TriggerReportRequest"]!["properties"]!["token"]);
        Assert.Null(schemas["TriggerReport"]!["properties"]!["token"]); // what the API shows has no token
        Assert.NotNull(document["paths"]!["/api/v1/builds/{id}/notifications"]!["get"]);
        var example = document["paths"]!["/api/v1/builds"]!["post"]!["requestBody"]!["content"]!["application/json"]!["examples"]!["notify"]!["value"]!;
        Assert.Equal("https://ci.example.com/hybridbuild", example["notify"]![0]!["url"]!.GetValue<string>());
    }

    [Fact]
    public void The_signature_matches_the_example_the_Standard_Webhooks_specification_publishes()
    {
        Assert.True(StandardWebhook.TryKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var key));
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            StandardWebhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}"""));
        Assert.False(StandardWebhook.TryKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out _)); // no whsec_ prefix
    }
}
