using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace HybridBuild.Api.Tests;

/// <summary>
/// The web console's pages in headless Chromium: what a key's scopes show, triggers and their deliveries, accessibility
/// (axe-core's WCAG rules, labels, the keyboard) and a narrow screen.
/// </summary>
[Collection(LiveService.Name)]
public sealed class ConsolePageTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

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
    public async Task Every_page_passes_axe_for_WCAG_A_and_AA_has_labelled_inputs_and_the_graph_works_by_keyboard()
    {
        var accepted = await _api.SubmitAsync(ConsoleScenarios.SmallGraph("keyboard"));
        await _api.WaitSucceededAsync(accepted.Id, ConsoleScenarios.BuildTimeout);
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
        var accepted = await _api.SubmitAsync(ConsoleScenarios.SmallGraph("narrow"));
        await _api.WaitSucceededAsync(accepted.Id, ConsoleScenarios.BuildTimeout);
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
}
