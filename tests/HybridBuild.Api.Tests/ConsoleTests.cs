using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace HybridBuild.Api.Tests;

/// <summary>
/// The web console at <c>/</c>, in headless Chromium against the live service: signing in, submitting the seed's wasm
/// example, the stage graph and the live log, downloads, cancel, hostile log lines, the keyboard and a narrow screen.
/// </summary>
[Collection(LiveService.Name)]
public sealed partial class ConsoleTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

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
        await Assertions.Expect(page.Locator("#build-log .line").First).ToBeVisibleAsync(new() { Timeout = Ms(BuildTimeout) });
        await Assertions.Expect(page.Locator(".dag-node.status-succeeded")).ToHaveCountAsync(2, new() { Timeout = Ms(BuildTimeout) });
        await Assertions.Expect(page.Locator("#build-log")).ToContainTextAsync("==> build succeeded", new() { Timeout = Ms(BuildTimeout) });
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

        await Assertions.Expect(page.Locator(".dag-node.status-running")).ToHaveCountAsync(1, new() { Timeout = Ms(BuildTimeout) });
        var before = page.Locator("#build-log .line-out", new() { HasText = $"before-the-sleep-{nonce}" });
        await Assertions.Expect(before).ToHaveCountAsync(1, new() { Timeout = Ms(BuildTimeout) });
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
        var accepted = await _api.SubmitAsync(ScenarioBuild($"cut {Guid.NewGuid():N}"));
        await _api.WaitSucceededAsync(accepted.Id, BuildTimeout);
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
    public async Task A_read_only_key_sees_no_cancel_or_retry_and_no_submit_link()
    {
        var accepted = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox\nRUN exit 3\n" } } },
            Stages = [new StageSpec { Name = "fails", Output = new OutputSpec { Type = OutputType.None } }],
        });
        await _api.WaitFinishedAsync(accepted.Id);
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(await _api.CreateKeyAsync($"console-reader-{Guid.NewGuid():N}", ApiScopes.BuildsRead));

        await page.GotoAsync($"/#/builds/{accepted.Id}");

        await Assertions.Expect(page.Locator(".dag-node.status-failed")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#stage-fails .error-text")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry failed stages" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel build" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Submit" })).ToBeHiddenAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Triggers" })).ToBeHiddenAsync();
        browser.AssertNoErrors();
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
        await Assertions.Expect(line).ToBeVisibleAsync(new() { Timeout = Ms(BuildTimeout) });

        Assert.Contains(Hostile, await line.TextContentAsync());
        Assert.Equal(0, await page.Locator("#build-log img, #build-log script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("window.__pwned ?? null"));
        await browser.ScreenshotAsync("hostile-log");
        Directory.Delete(Path.GetDirectoryName(archive)!, recursive: true);
    }

    [Fact]
    public async Task Every_page_passes_axe_for_WCAG_A_and_AA_has_labelled_inputs_and_the_graph_works_by_keyboard()
    {
        var accepted = await _api.SubmitAsync(ScenarioBuild("keyboard"));
        await _api.WaitSucceededAsync(accepted.Id, BuildTimeout);
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await page.GotoAsync("/");
        await AssertAccessibleAsync(page, "sign-in");
        await browser.SignInAsync(ServiceFixture.AdminKey);

        foreach (var (path, name) in new[] { ("/#/builds", "builds"), ("/#/submit", "submit"), ("/#/triggers", "triggers"), ($"/#/builds/{accepted.Id}", "build") })
        {
            await page.GotoAsync(path);
            await Assertions.Expect(page.Locator("h1")).ToBeFocusedAsync();
            if (name == "build") await Assertions.Expect(page.Locator("#log-state")).ToHaveTextAsync("complete");
            await AssertAccessibleAsync(page, name);
            await browser.ScreenshotAsync($"page-{name}");
        }

        await Assertions.Expect(page.Locator(".dag-group")).ToHaveTextAsync("first · matrix × 2"); // the combinations, boxed together
        // Tab through the page to the graph, then choose a stage with the keyboard alone
        for (var i = 0; i < 40 && !await page.EvaluateAsync<bool>("document.activeElement?.classList.contains('dag-node') ?? false"); i++)
            await page.Keyboard.PressAsync("Tab");
        var focused = await page.EvaluateAsync<string>("document.activeElement.dataset.stage");
        Assert.Equal("first-1a", focused);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#log-scope")).ToHaveTextAsync("stage first-1a");
        await Assertions.Expect(page.Locator(".dag-node[data-stage='first-1a']")).ToHaveAttributeAsync("aria-pressed", "true");
        await Assertions.Expect(page.Locator(".dag-node[data-stage='first-1a']")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator(".stage-card")).ToHaveCountAsync(1);
        foreach (var line in await page.Locator("#build-log .line").AllAsync())
            Assert.Equal(await line.GetAttributeAsync("data-stage") == "first-1a", await line.IsVisibleAsync());
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task On_a_narrow_screen_no_page_scrolls_sideways()
    {
        var accepted = await _api.SubmitAsync(ScenarioBuild("narrow"));
        await _api.WaitSucceededAsync(accepted.Id, BuildTimeout);
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress, width: 390, height: 844);
        var page = browser.Page;
        await browser.SignInAsync(ServiceFixture.AdminKey);

        foreach (var (path, name) in new[] { ("/#/builds", "builds"), ("/#/submit", "submit"), ($"/#/builds/{accepted.Id}", "build") })
        {
            await page.GotoAsync(path);
            await Assertions.Expect(page.Locator("h1")).ToBeVisibleAsync();
            if (name == "build") await Assertions.Expect(page.Locator(".dag-node")).ToHaveCountAsync(4);
            var (scrollWidth, viewport) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("window.innerWidth"));
            Assert.True(scrollWidth <= viewport, $"{name}: the page is {scrollWidth} px wide on a {viewport} px screen");
            await browser.ScreenshotAsync($"narrow-{name}");
        }
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task An_admin_creates_a_trigger_in_the_console_and_reads_its_delivery_log_there()
    {
        var name = $"console-trigger-{Guid.NewGuid():N}";
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await using var browser = await ConsoleBrowser.StartAsync(service.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(ServiceFixture.AdminKey);
        await page.GetByRole(AriaRole.Link, new() { Name = "Triggers" }).ClickAsync();
        var editor = page.GetByLabel("Trigger (JSON)");
        var request = JsonNode.Parse(await editor.InputValueAsync())!;
        request["name"] = name;
        request["secret"] = secret;
        await editor.FillAsync(request.ToJsonString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Create trigger" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Trigger {name}", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("No deliveries yet.")).ToBeVisibleAsync();

        // a push to a branch the trigger does not follow, signed as GitHub signs it: logged, no build
        var webhook = new Uri(await page.Locator("dd code", new() { HasText = "/api/v1/webhooks/" }).TextContentAsync() ?? "");
        const string Push = """{"ref":"refs/heads/feature","after":"1111111111111111111111111111111111111111","repository":{"full_name":"org/app"}}""";
        using var delivery = new HttpRequestMessage(HttpMethod.Post, webhook.PathAndQuery) { Content = new StringContent(Push, Encoding.UTF8, "application/json") };
        delivery.Headers.Add("X-GitHub-Event", "push");
        delivery.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        delivery.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Push))));
        using var anonymous = service.ClientWithKey(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(delivery)).StatusCode);
        await page.ReloadAsync();

        var row = page.Locator("tbody tr", new() { HasText = "refs/heads/feature" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".status")).ToHaveTextAsync("– ignored");
        await Assertions.Expect(row).ToContainTextAsync("111111111111");
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await browser.ScreenshotAsync("trigger");
        await page.GotoAsync("/#/triggers");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = name })).ToBeVisibleAsync();
        browser.AssertNoErrors();
    }

    /// <summary>A matrix stage (two combinations) and another stage feeding a third: a graph with a group, a join and files, quick to build.</summary>
    private static BuildSpec ScenarioBuild(string nonce) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
        {
            ["Dockerfile"] = $"FROM busybox AS work\nARG part\nRUN mkdir /out && echo \"{nonce} $part\" > /out/part.txt\nFROM scratch AS files\nCOPY --from=work /out/ /\n",
        } } },
        Stages =
        [
            new StageSpec
            {
                Name = "first", Target = "files",
                Matrix = new MatrixSpec { Axes = new() { ["part"] = JsonSerializer.SerializeToElement<string[]>(["1a", "1b"]) } },
            },
            new StageSpec { Name = "second", Target = "files", BuildArgs = new() { ["part"] = "2" } },
            new StageSpec { Name = "join", Target = "files", BuildArgs = new() { ["part"] = "3" }, Needs = ["first", "second"] },
        ],
    };

    /// <summary>axe-core's WCAG 2 A and AA rules (contrast among them) find nothing, and every form field has a label.</summary>
    private static async Task AssertAccessibleAsync(IPage page, string name)
    {
        var results = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21aa"] } });
        Assert.NotEmpty(results.Passes); // the rules ran
        Assert.True(results.Violations.Length == 0, $"{name}: " + string.Join("\n", results.Violations.Select(v =>
            $"{v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        var unlabelled = await page.EvaluateAsync<string[]>("""
            [...document.querySelectorAll('input, select, textarea')]
              .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
              .map(e => e.outerHTML)
            """);
        Assert.True(unlabelled.Length == 0, $"{name}: fields without a label: {string.Join(", ", unlabelled)}");
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

    private static float Ms(TimeSpan span) => (float)span.TotalMilliseconds;

    [GeneratedRegex("#/builds/([0-9a-f-]{36})$")]
    private static partial Regex BuildPage();
}
