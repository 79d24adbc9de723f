using HybridBuild.Application.Jobs;
using HybridBuild.Application.Nodes;

namespace HybridBuild.Api.Tests;

/// <summary>
/// Backpressure as a client sees it: a submission past Limits:MaxQueuedBuilds is a 429 problem with Retry-After that
/// stores nothing; a key past its rate limit gets a 429 problem with Retry-After while other keys and the health
/// endpoints go on; and each kind of work has its own workers on a node.
/// </summary>
[Collection(LiveService.Name)]
public sealed class BackpressureTests(ServiceFixture service)
{
    private static BuildSpec Inline(string nonce) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = $"FROM busybox AS s\nRUN echo {nonce}\n" } } },
        Stages = [new StageSpec { Name = "s", Target = "s", Output = new OutputSpec { Type = OutputType.None } }],
    };

    [Fact]
    public async Task A_submission_past_the_queue_cap_is_a_429_with_Retry_After_that_stores_nothing_until_a_place_frees()
    {
        var shared = Directory.CreateTempSubdirectory("hybridbuild-queue-").FullName;
        // no worker: the builds wait for one, and the count is exactly what the test submitted
        await using var node = ServiceProcess.Start("api", await service.CreateDatabaseAsync(), shared,
            ("Worker__Enabled", "false"), ("Limits__MaxQueuedBuilds", "2"), ("Limits__QueueFullRetryAfter", "00:00:07"));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);
        var key = Guid.NewGuid().ToString("N");
        var first = await BuildApi.AcceptedAsync(await api.PostJsonAsync(Inline("first"), key));
        await api.SubmitAsync(Inline("second"));
        var blobs = StoredFiles(Path.Combine(shared, "blobs"));

        using var refused = await api.PostJsonAsync(Inline("third"));
        var problem = await BuildApi.ProblemAsync(refused, HttpStatusCode.TooManyRequests, "queue-full");
        Assert.Equal("7", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("Limits:MaxQueuedBuilds", problem["detail"]!.GetValue<string>());
        using var refusedUpload = await api.PostMultipartAsync(new BuildSpec { Stages = [new StageSpec { Name = "s" }] },
            Contexts.TarGz(new Dictionary<string, string> { ["Dockerfile"] = "FROM busybox\n" }));
        await BuildApi.ProblemAsync(refusedUpload, HttpStatusCode.TooManyRequests, "queue-full");

        Assert.Equal(2, await api.CountAsync());
        Assert.Equal(blobs, StoredFiles(Path.Combine(shared, "blobs")));
        Assert.Empty(StoredFiles(Path.Combine(shared, "work-api", "uploads")));
        // a repeat of a stored request is answered with its build, full queue or not
        using var repeat = await api.PostJsonAsync(Inline("first"), key);
        Assert.Equal(first.Id, (await BuildApi.AcceptedAsync(repeat)).Id);

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/builds/{first.Id}/cancel", null)).StatusCode);
        await api.WaitFinishedAsync(first.Id, TimeSpan.FromSeconds(30));
        await api.SubmitAsync(Inline("fourth"));
        Assert.Equal(3, await api.CountAsync());
        Directory.Delete(shared, recursive: true);
    }

    [Fact]
    public async Task A_key_past_its_rate_limit_gets_a_429_with_Retry_After_while_another_key_and_the_health_endpoints_go_on()
    {
        var shared = Directory.CreateTempSubdirectory("hybridbuild-rate-").FullName;
        await using var node = ServiceProcess.Start("api", await service.CreateDatabaseAsync(), shared,
            ("Worker__Enabled", "false"), ("Limits__RateLimit__PermitLimit", "3"), ("Limits__RateLimit__Window", "01:00:00"));
        await node.WaitReadyAsync();
        using var admin = node.CreateClient();
        var adminApi = new BuildApi(admin);
        using var busy = ClientOf(node, await adminApi.CreateKeyAsync("busy", ApiScopes.BuildsRead));
        using var other = ClientOf(node, await adminApi.CreateKeyAsync("other", ApiScopes.BuildsRead));

        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/api/v1/builds")).StatusCode);
        using var limited = await busy.GetAsync("/api/v1/builds");

        var problem = await BuildApi.ProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate-limited");
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 3600);
        Assert.Contains("3 requests every 01:00:00", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/builds")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await busy.PostAsync("/api/v1/builds", null)).StatusCode);
        // requests without a valid key are not counted against any key: they are 401s
        using var anonymous = ClientOf(node, null);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/builds")).StatusCode);
        Directory.Delete(shared, recursive: true);
    }

    [Fact]
    public void Each_kind_of_work_is_served_on_a_node_by_workers_of_its_own_in_the_configured_numbers()
    {
        var node = service.Services.GetRequiredService<NodeIdentity>().Name;
        var servers = service.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi().Servers()
            .Where(s => s.Name.StartsWith(node + ":", StringComparison.OrdinalIgnoreCase)).ToList();

        int WorkersOf(string queue) => Assert.Single(servers, s => s.Queues.SequenceEqual([queue])).WorkersCount;

        Assert.Equal(4, WorkersOf(HangfireJobDispatcher.QueueOf(Core.Abstractions.JobKind.Stage)));
        Assert.Equal(ServiceFixture.PublicationWorkers, WorkersOf(HangfireJobDispatcher.QueueOf(Core.Abstractions.JobKind.Publication)));
        Assert.Equal(ServiceFixture.SpecFileWorkers, WorkersOf(HangfireJobDispatcher.QueueOf(Core.Abstractions.JobKind.SpecFile)));
        Assert.Equal(new HybridBuild.Application.Pipeline.WorkerOptions().NotificationConcurrency, WorkersOf(HangfireJobDispatcher.QueueOf(Core.Abstractions.JobKind.Notification)));
        Assert.Equal(1, WorkersOf(HangfireJobDispatcher.MaintenanceQueue));
        Assert.Equal(1, WorkersOf(HangfireJobDispatcher.RetentionQueue));
    }

    private static HttpClient ClientOf(ServiceProcess node, string? key)
    {
        var client = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromMinutes(1) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static List<string> StoredFiles(string root) =>
        Directory.Exists(root) ? [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order()] : [];
}
