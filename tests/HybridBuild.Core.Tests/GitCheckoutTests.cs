using System.Net;
using System.Net.Sockets;

namespace HybridBuild.Core.Tests;

public sealed class GitCheckoutTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "hb-git-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task A_git_server_that_redirects_elsewhere_is_not_followed_to_the_host_the_policy_never_checked()
    {
        using var elsewhere = Listen(out var elsewherePrefix);
        using var redirecting = Listen(out var redirectingPrefix);
        var reachedElsewhere = 0;
        var serving = Task.WhenAll(
            Serve(redirecting, c => { c.Response.StatusCode = 302; c.Response.RedirectLocation = elsewherePrefix + "repo.git/info/refs?service=git-upload-pack"; }),
            Serve(elsewhere, c => { Interlocked.Increment(ref reachedElsewhere); c.Response.StatusCode = 404; }));

        await Assert.ThrowsAsync<SourceFetchException>(() =>
            GitCheckout.FetchAsync(redirectingPrefix + "repo.git", null, _work, "git", new ContextLimits(), CancellationToken.None));

        Assert.Equal(0, reachedElsewhere);
        redirecting.Stop();
        elsewhere.Stop();
        await serving;
    }

    [Fact]
    public async Task Over_HTTP_git_connects_to_the_addresses_the_policy_checked_not_to_what_the_name_resolves_to_later()
    {
        await using var server = new LoopbackServer(404, "");
        // .invalid never resolves: git reaches the server only through the pinned address
        var url = $"http://pinned.invalid:{server.Port}/repo.git";

        await Assert.ThrowsAsync<SourceFetchException>(() =>
            GitCheckout.FetchAsync(url, null, _work, "git", new ContextLimits(), CancellationToken.None, [IPAddress.Loopback]));

        Assert.Contains(server.Heads, head => head.Contains($"Host: pinned.invalid:{server.Port}", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("https://git.example.com/org/repo.git", "git.example.com:443:93.184.216.34,[2001:db8::1]")]
    [InlineData("http://git.example.com:8080/repo.git", "git.example.com:8080:93.184.216.34,[2001:db8::1]")]
    public void An_HTTP_URL_is_pinned_to_each_checked_address(string url, string pinned) =>
        Assert.Equal(["-c", "http.curloptResolve=" + pinned],
            GitCheckout.PinnedResolution(url, [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("2001:db8::1")]));

    [Theory]
    [InlineData("ssh://git@git.example.com/org/repo.git")]
    [InlineData("git@git.example.com:org/repo.git")]
    [InlineData("git://git.example.com/repo.git")]
    public void Other_transports_are_not_pinned(string url) =>
        Assert.Empty(GitCheckout.PinnedResolution(url, [IPAddress.Parse("93.184.216.34")]));

    private static HttpListener Listen(out string prefix)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        prefix = $"http://127.0.0.1:{port}/";
        var listener = new HttpListener();
        listener.Prefixes.Add(prefix);
        listener.Start();
        return listener;
    }

    private static async Task Serve(HttpListener listener, Action<HttpListenerContext> answer)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            answer(context);
            context.Response.Close();
        }
    }
}
