using System.Net;
using System.Net.Sockets;
using HybridBuild.Core.Network;
using Microsoft.Extensions.Options;

namespace HybridBuild.Core.Tests;

public sealed class OutboundPolicyTests
{
    private static OutboundPolicy Policy(params string[] allowed) =>
        new(Options.Create(new NetworkOptions { AllowedHosts = [.. allowed] }), Resolve);

    // a resolver that needs no DNS: names map to fixed addresses
    private static Task<IPAddress[]> Resolve(string host, CancellationToken _) => host switch
    {
        "git.example.com" => Task.FromResult(new[] { IPAddress.Parse("93.184.216.34") }),
        "rebind.example.com" => Task.FromResult(new[] { IPAddress.Parse("93.184.216.34"), IPAddress.Parse("169.254.169.254") }),
        "inside.example.com" => Task.FromResult(new[] { IPAddress.Parse("fe80::1") }),
        _ => throw new SocketException((int)SocketError.HostNotFound),
    };

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.1.1")]
    [InlineData("[fe80::1]")]
    [InlineData("fd00:ec2::254")]
    [InlineData("100.100.100.200")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("metadata.google.internal")]
    [InlineData("METADATA.google.internal.")]
    [InlineData("0.0.0.0")]
    public async Task Link_local_and_metadata_targets_are_refused_by_default(string host) =>
        Assert.NotNull(await Policy().CheckAsync(host, default));

    [Theory]
    [InlineData("git.example.com")]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("unknown.example.com")]
    public async Task Other_hosts_are_reachable_by_default(string host) =>
        Assert.Null(await Policy().CheckAsync(host, default));

    [Theory]
    [InlineData("rebind.example.com", "169.254.169.254")]
    [InlineData("inside.example.com", "fe80::1")]
    public async Task A_name_that_resolves_to_a_refused_address_is_refused_and_the_answer_says_so(string host, string address)
    {
        var why = await Policy().CheckAsync(host, default);
        Assert.NotNull(why);
        Assert.Contains(address, why);
    }

    [Fact]
    public async Task With_an_allow_list_only_listed_hosts_ranges_and_wildcards_are_reachable()
    {
        var policy = Policy("git.example.com", "*.corp.example", "10.0.0.0/8");
        Assert.Null(await policy.CheckAsync("git.example.com", default));
        Assert.Null(await policy.CheckAsync("build.corp.example", default));
        Assert.Null(await policy.CheckAsync("10.20.30.40", default));
        Assert.Contains("Network:AllowedHosts", await policy.CheckAsync("github.com", default));
        Assert.NotNull(await policy.CheckAsync("11.0.0.1", default));
        Assert.NotNull(await policy.CheckAsync("corp.example", default));
    }

    [Fact]
    public async Task Only_an_explicit_entry_re_allows_a_refused_address()
    {
        Assert.NotNull(await Policy("*.example.com").CheckAsync("rebind.example.com", default));
        Assert.Null(await Policy("169.254.0.0/16").CheckAsync("169.254.10.10", default));
        Assert.Null(await Policy("[fe80::1]").CheckAsync("[fe80::1]", default));
    }

    [Fact]
    public async Task A_host_name_too_long_to_resolve_is_refused_rather_than_thrown()
    {
        var policy = new OutboundPolicy(Options.Create(new NetworkOptions()));
        Assert.Contains("not a valid host name", await policy.CheckAsync(new string('a', 300) + ".example.com", default));
    }

    [Theory]
    [InlineData("ssh://good.example?@169.254.169.254/repo.git")]
    [InlineData("ssh://good.example#@169.254.169.254/repo.git")]
    [InlineData("git@good.example?@169.254.169.254:repo.git")]
    [InlineData("a@b@169.254.169.254:repo.git")]
    [InlineData("https:git.example.com/repo.git")]
    public void A_git_URL_that_git_and_ssh_would_read_as_another_host_is_not_accepted(string url) =>
        Assert.NotNull(GitUrl.Check(url));

    [Theory]
    [InlineData("git@[fe80::1]:repo.git")]
    [InlineData("git@[fd00:ec2::254]:repo.git")]
    [InlineData("git@0251.0376.0251.0376:repo.git")]
    [InlineData("ssh://git@0251.0376.0251.0376:22/repo.git")]
    [InlineData("git://2852039166/repo.git")]
    [InlineData("http://good@169.254.169.254/repo.git")]
    public async Task A_scp_like_or_numeric_git_URL_is_checked_against_the_host_git_would_reach(string url)
    {
        Assert.Null(GitUrl.Check(url));
        Assert.NotNull(await Policy().CheckAsync(GitUrl.Host(url), default));
    }

    [Theory]
    [InlineData("git@github.com:org/repo.git", "github.com")]
    [InlineData("ssh://git@git.example.com:2222/org/repo.git", "git.example.com")]
    [InlineData("https://github.com/org/repo.git", "github.com")]
    public void Ordinary_git_URLs_are_accepted_with_their_host(string url, string host)
    {
        Assert.Null(GitUrl.Check(url));
        Assert.Equal(host, GitUrl.Host(url));
    }

    [Fact]
    public async Task A_name_that_resolves_to_a_refused_address_by_connect_time_is_refused_at_connect()
    {
        await using var server = new LoopbackServer(200, "ok");
        // DNS rebinding: loopback when the request is checked, the metadata address when it is connected to
        var answers = new Queue<IPAddress>([IPAddress.Loopback, IPAddress.Parse("169.254.169.254")]);
        var policy = new OutboundPolicy(Options.Create(new NetworkOptions()), (_, _) => Task.FromResult(new[] { answers.Dequeue() }));
        Assert.Null(await policy.CheckAsync("flip.example.com", default));
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = (c, ct) => policy.ConnectAsync(c.DnsEndPoint, ct) });

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"http://flip.example.com:{server.Port}/"));

        Assert.Contains("resolves to 169.254.169.254, a cloud metadata address", refused.ToString());
        Assert.Empty(server.Heads);
    }

    [Fact]
    public async Task A_connection_through_the_policy_goes_to_the_address_it_checked()
    {
        await using var server = new LoopbackServer(200, "ok");
        var policy = new OutboundPolicy(Options.Create(new NetworkOptions()), (_, _) => Task.FromResult(new[] { IPAddress.Loopback }));
        using var http = new HttpClient(new SocketsHttpHandler { ConnectCallback = (c, ct) => policy.ConnectAsync(c.DnsEndPoint, ct) });

        Assert.Equal("ok", await http.GetStringAsync($"http://registry.example.com:{server.Port}/v2/"));
        Assert.Contains(server.Heads, head => head.StartsWith("GET /v2/ HTTP/1.1", StringComparison.Ordinal));
    }
}
