using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace HybridBuild.Api.Tests;

/// <summary>
/// The web console at <c>/</c>, in headless Chromium against the live service, following builds: signing in, submitting
/// the seed's wasm example, the stage graph and the live log (resumed after a cut), downloads, cancel, hostile log lines.
/// </summary>
[Collection(LiveService.Name)]
public sealed partial class ConsoleTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    [Fact]
    public async Task The_console_is_served_at_the_root_without_a_key_with_a_strict_content_security_policy()
    {
        using var anonymous = service.ClientWithKey(null);
        using var page = await anonymous.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/console/app.js", await page.Content.ReadAsStringAsync());
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.DoesNotContain("unsafe-eval", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        using var script = await anonymous.GetAsync("/console/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(policy, script.Headers.GetValues("Content-Security-Policy").Single());
        // the console's files are open; the API behind it is not
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/builds")).StatusCode);
    }

    [Fact]
    public async Task Signing_in_and_submitting_the_wasm_example_turns_the_graph_green_streams_the_log_and_downloads_the_module()
    {
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await page.GotoAsync("/");
        await browser.ScreenshotAsync("sign-in");
        await browser.SignInAsync(ServiceFixture.AdminKey);

        await page.GetByRole(AriaRole.Link, new() { Name = "Submit" }).ClickAsync();
        await page.GetByLabel("Start from an example").SelectOptionAsync("wasm");
        var editor = page.GetByLabel("Build spec (JSON)");
        var spec = await editor.InputValueAsync();
        Assert.Contains("\"localhost:5000/hellowasm:latest\"", spec); // the example as the API description has it
        var tag = $"{service.Registry}/console/hellowasm:{Guid.NewGuid():N}";
        await editor.FillAsync(spec.Replace("localhost:5000/hellowasm:latest", tag));
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit build" }).ClickAsync();

        var id = await BuildIdAsync(page);
        await Assertions.Expect(page.Locator("#build-log .line").First).ToBeVisibleAsync(new() { Timeout = ConsoleScenarios.BuildWait });
        await Assertions.Expect(page.Locator(".dag-node.status-succeeded")).ToHaveCountAsync(2, new() { Timeout = ConsoleScenarios.BuildWait });
        await Assertions.Expect(page.Locator("#build-log")).ToContainTextAsync("==> build succeeded", new() { Timeout = ConsoleScenarios.BuildWait });
        await Assertions.Expect(page.Locator("#log-state")).ToHaveTextAsync("complete");
        var build = await _api.GetAsync(id);
        Assert.Equal(BuildStatus.Succeeded, build.Status);
        browser.AssertNoErrors();
        await browser.ScreenshotAsync("wasm-build");
        var image = build.Stages.Single(s => s.Name == "image");
        await Assertions.Expect(page.Locator("#stage-image code.digest")).ToHaveTextAsync(image.ImageDigest!);
        Assert.Equal(await CountEventsAsync(id), await page.Locator("#build-log .line").CountAsync());

        var module = build.Stages.Single(s => s.Name == "build").Artifacts!.Single();
        var saved = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Button, new() { Name = $"Download {module.Path} from build", Exact = true }).ClickAsync());
        Assert.Equal("HelloWasm.wasm", saved.SuggestedFilename);
        var bytes = await File.ReadAllBytesAsync((await saved.PathAsync())!);
        Assert.Equal(module.Size, bytes.Length);
        Assert.Equal(module.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));

        var archive = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Button, new() { Name = "Download all artifacts of build as tar.gz" }).ClickAsync());
        await using (var gzip = new GZipStream(File.OpenRead((await archive.PathAsync())!), CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            var entry = await tar.GetNextEntryAsync();
            Assert.Equal("HelloWasm.wasm", entry!.Name);
        }

        Assert.Null(await page.EvaluateAsync<string?>("localStorage.length ? 'stored' : null"));
        Assert.Equal(ServiceFixture.AdminKey, await page.EvaluateAsync<string>("sessionStorage.getItem('hybridbuild.key')"));
        Assert.Equal("", await page.EvaluateAsync<string>("document.cookie"));
        browser.AssertKeyNeverInAUrl(ServiceFixture.AdminKey);
        foreach (var request in browser.Requests.Where(r => r.Url.Contains("/api/v1/")))
            Assert.Equal($"Bearer {ServiceFixture.AdminKey}", (await request.AllHeadersAsync())["authorization"]);
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task A_running_build_is_cancelled_from_its_page_and_its_log_resumes_after_a_pause_without_repeating_a_line()
    {
        var nonce = Guid.NewGuid().ToString("N");
        var accepted = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                ["Dockerfile"] = $"FROM busybox\nRUN echo before-the-sleep-{nonce} && sleep 300 && echo after-the-sleep\n",
            } } },
            Stages = [new StageSpec { Name = "sleepy", Output = new OutputSpec { Type = OutputType.None } }],
        });
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(await _api.CreateKeyAsync($"console-writer-{nonce}", ApiScopes.BuildsWrite, ApiScopes.BuildsRead));
        await page.GotoAsync($"/#/builds/{accepted.Id}");

        await Assertions.Expect(page.Locator(".dag-node.status-running")).ToHaveCountAsync(1, new() { Timeout = ConsoleScenarios.BuildWait });
        var before = page.Locator("#build-log .line-out", new() { HasText = $"before-the-sleep-{nonce}" });
        await Assertions.Expect(before).ToHaveCountAsync(1, new() { Timeout = ConsoleScenarios.BuildWait });
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Assertions.Expect(page.Locator("#log-state")).ToHaveTextAsync("paused");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(page.Locator("#log-state")).ToHaveTextAsync("● live");
        var resumed = browser.Requests.Last(r => r.Url.EndsWith($"/api/v1/builds/{accepted.Id}/logs"));
        Assert.True(long.TryParse((await resumed.AllHeadersAsync()).GetValueOrDefault("last-event-id"), out _),
            "the resumed stream asks for the events after the last one seen");
        await browser.ScreenshotAsync("running-build");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel build" }).ClickAsync();

        await Assertions.Expect(page.Locator(".build-status")).ToContainTextAsync("cancelled", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator(".dag-node.status-running")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#build-log")).ToContainTextAsync("==> build cancelled");
        Assert.Equal(BuildStatus.Cancelled, (await _api.GetAsync(accepted.Id)).Status);
        await Assertions.Expect(before).ToHaveCountAsync(1);
        Assert.Equal(await CountEventsAsync(accepted.Id), await page.Locator("#build-log .line").CountAsync());
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry failed stages" })).ToBeVisibleAsync();
        await browser.ScreenshotAsync("cancelled-build");
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task A_log_stream_cut_midway_is_resumed_from_the_last_event_seen_and_shows_each_line_once()
    {
        var accepted = await _api.SubmitAsync(ConsoleScenarios.SmallGraph($"cut {Guid.NewGuid():N}"));
        await _api.WaitSucceededAsync(accepted.Id, ConsoleScenarios.BuildTimeout);
        var events = (await EventStreamAsync(accepted.Id)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var ids = events.Select(e => e.Split('\n').FirstOrDefault(l => l.StartsWith("id: ", StringComparison.Ordinal))?[4..]).ToList();
        var half = ids.FindLastIndex(ids.Count / 2, id => id is not null);
        var firstPart = string.Join("", events.Take(half + 1).Select(e => e + "\n\n")); // no 'end': the connection just closes
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(ServiceFixture.AdminKey);
        var attempts = 0;
        await page.RouteAsync($"**/api/v1/builds/{accepted.Id}/logs", async route =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
                await route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = firstPart });
            else
                await route.ContinueAsync();
        });

        await page.GotoAsync($"/#/builds/{accepted.Id}");

        await Assertions.Expect(page.Locator("#log-state")).ToHaveTextAsync("complete");
        var streams = browser.Requests.Where(r => r.Url.EndsWith($"/api/v1/builds/{accepted.Id}/logs")).ToList();
        Assert.Equal(2, streams.Count);
        Assert.False((await streams[0].AllHeadersAsync()).ContainsKey("last-event-id"));
        Assert.Equal(ids[half], (await streams[1].AllHeadersAsync())["last-event-id"]);
        Assert.Equal(events.Count(e => e.Contains("event: ")), await page.Locator("#build-log .line").CountAsync());
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task A_log_stream_that_never_ends_its_line_is_given_up_with_a_message_and_not_read_on()
    {
        var accepted = await _api.SubmitAsync(ConsoleScenarios.SmallGraph($"endless {Guid.NewGuid():N}"));
        await _api.WaitSucceededAsync(accepted.Id, ConsoleScenarios.BuildTimeout);
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(ServiceFixture.AdminKey);
        // what a misbehaving proxy might send: 17 M characters and no line break
        var endless = "retry: 100\n\ndata: " + new string('x', 17 * 1024 * 1024);
        var attempts = 0;
        await page.RouteAsync($"**/api/v1/builds/{accepted.Id}/logs", async route =>
        {
            Interlocked.Increment(ref attempts);
            await route.FulfillAsync(new() { Status = 200, ContentType = "text/event-stream", Body = endless });
        });

        await page.GotoAsync($"/#/builds/{accepted.Id}");

        await Assertions.Expect(page.Locator("#log-state")).ToContainTextAsync("over 16777216 characters");
        await page.WaitForTimeoutAsync(1000); // a reconnect would come after the stream's 100 ms retry
        Assert.Equal(1, attempts);
        Assert.Equal(0, await page.Locator("#build-log .line").CountAsync());
    }

    [Fact]
    public async Task A_refused_spec_shows_the_problem_naming_the_field_and_stays_on_the_form()
    {
        var before = await _api.CountAsync();
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(ServiceFixture.AdminKey);
        await page.GotoAsync("/#/submit");

        await page.GetByLabel("Build spec (JSON)").FillAsync("""{"source":{"inline":{"files":{"Dockerfile":"FROM busybox"}}},"stages":[{"name":"bad name!"}]}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit build" }).ClickAsync();

        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("stages[0].name");
        Assert.EndsWith("#/submit", page.Url);
        await page.GetByLabel("Build spec (JSON)").FillAsync("{ not json");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit build" }).ClickAsync();
        await Assertions.Expect(alert).ToContainTextAsync("not valid JSON");
        Assert.Equal(before, await _api.CountAsync());
        await browser.ScreenshotAsync("refused-spec");
    }

    [Fact]
    public async Task Markup_in_a_log_line_uploaded_as_a_context_is_shown_as_text_and_never_runs()
    {
        const string Hostile = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>";
        var context = Contexts.TarGz(new Dictionary<string, string>
        {
            ["Dockerfile"] = $"FROM busybox\nCOPY hostile.txt /\nRUN cat /hostile.txt && echo {Guid.NewGuid():N}\n",
            ["hostile.txt"] = Hostile + "\n",
        });
        var archive = Path.Combine(Directory.CreateTempSubdirectory("console-context-").FullName, "context.tar.gz");
        await File.WriteAllBytesAsync(archive, context);
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(ServiceFixture.AdminKey);
        await page.GotoAsync("/#/submit");
        await page.GetByLabel("Build spec (JSON)").FillAsync("""{"stages":[{"name":"hostile","output":{"type":"none"}}]}""");
        await page.GetByLabel("Context archive (optional)").SetInputFilesAsync(archive);
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit build" }).ClickAsync();
        var id = await BuildIdAsync(page);
        Assert.Equal(SourceKind.Upload, (await _api.GetAsync(id)).Source.Kind);

        var line = page.Locator("#build-log .line", new() { HasText = "<img src=x" }).First;
        await Assertions.Expect(line).ToBeVisibleAsync(new() { Timeout = ConsoleScenarios.BuildWait });

        Assert.Contains(Hostile, await line.TextContentAsync());
        Assert.Equal(0, await page.Locator("#build-log img, #build-log script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("window.__pwned ?? null"));
        await browser.ScreenshotAsync("hostile-log");
        Directory.Delete(Path.GetDirectoryName(archive)!, recursive: true);
    }

    private static async Task<Guid> BuildIdAsync(IPage page)
    {
        await page.WaitForURLAsync(BuildPage());
        return Guid.Parse(BuildPage().Match(page.Url).Groups[1].Value);
    }

    /// <summary>How many events the build's whole event stream holds, the closing 'end' included: one log line each.</summary>
    private async Task<int> CountEventsAsync(Guid id) =>
        (await EventStreamAsync(id)).Split('\n').Count(l => l.StartsWith("event: ", StringComparison.Ordinal));

    /// <summary>The build's whole event stream, as the API sends it to a client that has seen nothing yet.</summary>
    private async Task<string> EventStreamAsync(Guid id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/builds/{id}/logs");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await service.Client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex("#/builds/([0-9a-f-]{36})$")]
    private static partial Regex BuildPage();
}
