using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace HybridBuild.Api.Tests;

/// <summary>What the service tells Prometheus and a trace backend about a build, and who may read it.</summary>
[Collection(LiveService.Name)]
public sealed class TelemetryTests(ServiceFixture service)
{
    private const string Dockerfile = "FROM busybox AS make\nARG nonce\nRUN mkdir /out && echo \"telemetry $nonce\" > /out/hello.txt\n\nFROM scratch AS out\nCOPY --from=make /out/ /\n";
    private readonly BuildApi _api = new(service.Client);

    private Task<BuildResponse> SubmitAsync() => _api.SubmitAsync(new BuildSpec
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile } } },
        Stages = [new StageSpec { Name = "out", Target = "out", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") } }],
    });

    private static async Task<PrometheusText> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new PrometheusText(await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Scrapes until the database-read series are there, as Prometheus's next scrape would: a scrape answers with the
    /// figures at hand while a slow read goes on in the background.
    /// </summary>
    private static async Task<PrometheusText> ScrapeReadAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var metrics = await ScrapeAsync(client);
            if (metrics.Has("hybridbuild_queue_depth") || DateTime.UtcNow > deadline) return metrics;
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Metrics_move_with_a_build_and_its_download()
    {
        using var scraper = service.ClientWithKey(await _api.CreateKeyAsync("prometheus", ApiScopes.MetricsRead));
        var before = await ScrapeAsync(scraper);

        var build = await SubmitAsync();
        await _api.WaitSucceededAsync(build.Id);
        var file = await service.Client.GetByteArrayAsync($"/api/v1/builds/{build.Id}/artifacts/out/hello.txt");
        var after = await ScrapeReadAsync(scraper);

        Assert.True(after.Sum("hybridbuild_stage_duration_seconds_count", "outcome=succeeded") >= before.Sum("hybridbuild_stage_duration_seconds_count", "outcome=succeeded") + 1,
            "a succeeded stage run is counted in the stage duration histogram");
        Assert.True(after.Sum("hybridbuild_queue_wait_seconds_count", "kind=stage") >= before.Sum("hybridbuild_queue_wait_seconds_count", "kind=stage") + 1,
            "the stage's wait in the queue is recorded");
        Assert.True(after.Sum("hybridbuild_blob_stored_bytes_total") >= before.Sum("hybridbuild_blob_stored_bytes_total") + file.Length,
            "the new artifact's bytes are counted as stored");
        Assert.True(after.Sum("hybridbuild_blob_served_bytes_total") >= before.Sum("hybridbuild_blob_served_bytes_total") + file.Length,
            "the download's bytes are counted as served");
        string[] accepted = ["http_request_method=POST", "http_response_status_code=202"];
        Assert.True(after.Sum("http_server_request_duration_seconds_count", accepted) >= before.Sum("http_server_request_duration_seconds_count", accepted) + 1,
            $"the accepted POST is counted among the HTTP server's requests (before {before.Sum("http_server_request_duration_seconds_count", accepted)}, "
            + $"after {after.Sum("http_server_request_duration_seconds_count", accepted)})");
        Assert.True(after.Has("hybridbuild_hangfire_jobs", "state=succeeded"), "Hangfire's job states are there");
        Assert.True(after.Has("hybridbuild_hangfire_queue_length", "queue=stages"), "Hangfire's queue lengths are there");
        Assert.True(after.Has("hybridbuild_queue_depth", "kind=stage", "state=queued"), "the stage queue's depth is there");
        Assert.Equal(1, after.Sum("hybridbuild_builder_up", "builder=default"));
        Assert.True(after.Has("hybridbuild_builder_solves", "builder=default"), "the default builder's running solves are there");
    }

    [Fact]
    public async Task Metrics_need_a_key_with_the_metrics_scope_on_the_API_port()
    {
        using var anonymous = service.ClientWithKey(null);
        using var unauthorized = await anonymous.GetAsync("/metrics");
        await BuildApi.ProblemAsync(unauthorized, HttpStatusCode.Unauthorized, "unauthorized");

        using var reader = service.ClientWithKey(await _api.CreateKeyAsync("reader", ApiScopes.BuildsRead));
        using var forbidden = await reader.GetAsync("/metrics");
        var problem = await BuildApi.ProblemAsync(forbidden, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(ApiScopes.MetricsRead, problem["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_metrics_port_serves_metrics_without_a_key_and_nothing_else()
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://localhost:{service.MetricsPort}"), Timeout = TimeSpan.FromSeconds(30) };

        var metrics = await ScrapeAsync(client);
        using var api = await client.GetAsync("/api/v1/builds");

        Assert.True(metrics.Has("hybridbuild_builder_up", "builder=default"), "the service's own series are served there");
        Assert.NotEqual(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task One_trace_runs_from_the_POST_through_the_job_and_stage_to_the_solve_and_its_blob_writes_and_logs_carry_its_id()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "HybridBuild" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var build = await SubmitAsync();
        await _api.WaitSucceededAsync(build.Id);

        var submit = spans.Single(s => s.OperationName == "build.submit" && Equals(s.GetTagItem("hybridbuild.build.id"), build.Id));
        var trace = submit.TraceId;
        // a span is collected when it ends: the stage's after it has moved the build on (past "succeeded"), its job's
        // after the stage it found running or done
        for (var i = 0; i < 360 && !(Trace().Any(s => s.OperationName == "stage.run") && Trace().Any(s => s.OperationName == "StageJob.RunAsync")); i++)
            await Task.Delay(500);
        var inTrace = Trace();
        var job = inTrace.FirstOrDefault(s => s.OperationName == "StageJob.RunAsync");
        var spansSeen = string.Join("\n", inTrace.Select(s => $"{s.OperationName} {s.SpanId} <- {s.ParentSpanId} {string.Join(",", s.TagObjects.Select(t => $"{t.Key}={t.Value}"))}"));
        var post = Assert.Single(inTrace, s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);
        var stage = Assert.Single(inTrace, s => s.OperationName == "stage.run");
        var solve = Assert.Single(inTrace, s => s.OperationName == "buildkit.solve");
        var write = inTrace.FirstOrDefault(s => s.OperationName == "blob.write" && Equals(s.GetTagItem("hybridbuild.outcome"), "created") && AncestorsOf(s, inTrace).Contains(solve));
        Assert.True(write is not null, $"the solve stored its export through a traced blob write; the trace holds:\n{spansSeen}");

        Assert.Equal([solve, stage], AncestorsOf(write, inTrace).Take(2));
        Assert.Contains(submit, AncestorsOf(stage, inTrace));
        Assert.Equal(post, AncestorsOf(submit, inTrace).Single());
        Assert.NotNull(job);
        Assert.Equal(post, AncestorsOf(job, inTrace).Last());
        Assert.Equal("stages", job.GetTagItem("hybridbuild.job.queue"));

        var running = service.Logs.Lines.Single(l => l.Contains($"Running stage out of build {build.Id}"));
        Assert.EndsWith($"TraceId:{trace}", running);

        List<Activity> Trace() => [.. spans.Where(s => s.TraceId == trace)];
    }

    [Fact]
    public async Task A_node_given_an_OTLP_endpoint_exports_the_spans_of_its_builds_there()
    {
        var exports = new ConcurrentQueue<(string Path, byte[] Body)>();
        await using var collector = await LoopbackApp.StartAsync(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            exports.Enqueue((http.Request.Path, body.ToArray()));
            http.Response.ContentType = "application/x-protobuf";
        });
        using var disk = new TempDirectory();
        await using var node = ServiceProcess.Start("otlp", await service.CreateDatabaseAsync(), disk.Path,
            ("Telemetry__Otlp__Endpoint", collector.Url.ToString()), ("Telemetry__Otlp__Protocol", "http/protobuf"),
            // the batch span processor's delay and the metric reader's interval: both go out within a fraction of a second
            ("OTEL_BSP_SCHEDULE_DELAY", "200"), ("OTEL_METRIC_EXPORT_INTERVAL", "500"));
        await node.WaitReadyAsync();
        using var client = service.ClientWithKey(ServiceFixture.AdminKey);
        client.BaseAddress = node.BaseAddress;
        var api = new BuildApi(client);

        var build = await api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile } } },
            Stages = [new StageSpec { Name = "out", Target = "out", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") } }],
        });
        await api.WaitSucceededAsync(build.Id);

        // the build id is a string attribute of its spans: its bytes appear in the protobuf of the export that carries them
        var id = Encoding.UTF8.GetBytes(build.Id.ToString());
        bool Exported(string span) => exports.Any(e => e.Path == "/v1/traces" && e.Body.AsSpan().IndexOf(id) >= 0 && e.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(span)) >= 0);
        for (var i = 0; i < 360 && !(Exported("build.submit") && Exported("stage.run")); i++) await Task.Delay(500);
        Assert.True(Exported("build.submit") && Exported("stage.run"),
            $"the build's spans reached the collector; it received: {string.Join(", ", exports.Select(e => $"{e.Path} ({e.Body.Length} bytes)"))}\n{node.Output}");
        Assert.Contains(exports, e => e.Path == "/v1/metrics");
    }

    /// <summary>The span's parent, its parent's parent, … as far as the collected spans go.</summary>
    private static List<Activity> AncestorsOf(Activity span, List<Activity> trace)
    {
        var bySpan = trace.ToDictionary(s => s.SpanId);
        var ancestors = new List<Activity>();
        for (var parent = span.ParentSpanId; bySpan.TryGetValue(parent, out var next); parent = next.ParentSpanId) ancestors.Add(next);
        return ancestors;
    }
}
