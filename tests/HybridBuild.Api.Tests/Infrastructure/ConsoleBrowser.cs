using Microsoft.Playwright;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// The web console in headless Chromium, driven by Playwright with the machine's own Chromium (no browser is downloaded):
/// <c>chromium</c>, <c>chromium-browser</c> or <c>google-chrome</c> on PATH, or the executable HYBRIDBUILD_TEST_CHROMIUM names.
/// Records every URL the page requests and every console error (a Content-Security-Policy violation is one), and keeps
/// screenshots under the test output's TestResults/console (or HYBRIDBUILD_TEST_SCREENSHOTS).
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string ChromiumVariable = "HYBRIDBUILD_TEST_CHROMIUM";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<IRequest> _requests = [];
    private readonly List<string> _errors = [];

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
        context.Request += (_, request) => { lock (_requests) _requests.Add(request); };
        page.Console += (_, message) => { if (message.Type == "error") lock (_errors) _errors.Add(message.Text); };
        page.PageError += (_, error) => { lock (_errors) _errors.Add(error); };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }

    /// <summary>Every request the page made, in order.</summary>
    public IReadOnlyList<IRequest> Requests { get { lock (_requests) return [.. _requests]; } }

    /// <summary>Script errors and console errors (CSP violations among them) the page reported.</summary>
    public IReadOnlyList<string> Errors { get { lock (_errors) return [.. _errors]; } }

    public static string ScreenshotDirectory =>
        Environment.GetEnvironmentVariable("HYBRIDBUILD_TEST_SCREENSHOTS") is { Length: > 0 } folder
            ? folder : Path.Combine(AppContext.BaseDirectory, "TestResults", "console");

    public static async Task<ConsoleBrowser> StartAsync(Uri baseAddress, int width = 1366, int height = 900)
    {
        var chromium = FindChromium();
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
            var context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = baseAddress.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height },
                AcceptDownloads = true, Locale = "en-GB", TimezoneId = "UTC",
            });
            context.SetDefaultTimeout(30_000);
            // a page that follows a live build waits on the service: the machine may be busy building beside it
            Assertions.SetDefaultExpectTimeout(15_000);
            return new ConsoleBrowser(playwright, browser, context, await context.NewPageAsync());
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public static string FindChromium()
    {
        if (Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } configured)
            return File.Exists(configured) ? configured
                : throw new InvalidOperationException($"{ChromiumVariable} names '{configured}', which does not exist.");
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
            if (path.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists) is { } found) return found;
        throw new InvalidOperationException(
            $"The console tests need Chromium: install chromium (Debian: apt-get install chromium) or set {ChromiumVariable} to its executable.");
    }

    /// <summary>Opens the console and signs in with <paramref name="key"/> through its form.</summary>
    public async Task SignInAsync(string key)
    {
        await Page.GotoAsync("/");
        await Page.GetByLabel("API key").FillAsync(key);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Builds", Level = 1 })).ToBeVisibleAsync();
    }

    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var file = Path.Combine(ScreenshotDirectory, $"{name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        return file;
    }

    /// <summary>Fails when the page reported a script or console error.</summary>
    public void AssertNoErrors() => Assert.True(Errors.Count == 0, "the page reported errors:\n" + string.Join("\n", Errors));

    /// <summary>The key must never be part of a URL the page asked for, nor of the page's own address.</summary>
    public void AssertKeyNeverInAUrl(string key)
    {
        Assert.NotEmpty(Requests);
        foreach (var request in Requests)
        {
            Assert.DoesNotContain(key, request.Url, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(key), request.Url, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(key, Page.Url, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
