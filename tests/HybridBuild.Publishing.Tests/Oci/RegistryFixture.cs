using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using HybridBuild.Publishing.Oci;

namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// Two real registry:2 containers: an anonymous source and a target that wants a password (htpasswd, which
/// registry:2 answers with a Basic challenge). Fails saying what is missing when Docker is not there.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public const string User = "hybridbuild";
    public const string Password = "hybridbuild-test-password";
    // bcrypt of Password (registry:2 reads only bcrypt htpasswd entries); a test credential, not a secret
    private const string HtpasswdLine = "hybridbuild:$2b$10$s8oUgPmc6wir8r9nYMt2/uL85Tu15Ehxcp6Hh/H6kTHaMMY3bDW0K\n";

    private IContainer? _source;
    private IContainer? _target;

    /// <summary>host:port of the anonymous registry.</summary>
    public string Source { get; private set; } = "";

    /// <summary>host:port of the password-protected registry.</summary>
    public string Target { get; private set; } = "";

    public static RegistryCredentials Credentials => new(User, Password);

    public async Task InitializeAsync()
    {
        _source = new ContainerBuilder("registry:2")
            .WithPortBinding(5000, assignRandomHostPort: true)
            .WithLabel("hybridbuild.test", "oci-copy")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(5000).ForPath("/v2/")))
            .Build();
        _target = new ContainerBuilder("registry:2")
            .WithPortBinding(5000, assignRandomHostPort: true)
            .WithLabel("hybridbuild.test", "oci-copy")
            .WithResourceMapping(Encoding.ASCII.GetBytes(HtpasswdLine), "/auth/htpasswd")
            .WithEnvironment("REGISTRY_AUTH", "htpasswd")
            .WithEnvironment("REGISTRY_AUTH_HTPASSWD_REALM", "x")
            .WithEnvironment("REGISTRY_AUTH_HTPASSWD_PATH", "/auth/htpasswd")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(5000).ForPath("/v2/").ForStatusCode(HttpStatusCode.Unauthorized)))
            .Build();
        try
        {
            await Task.WhenAll(_source.StartAsync(), _target.StartAsync());
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                "These tests need a Docker engine (DOCKER_HOST, or /var/run/docker.sock) with the registry:2 image; "
                + $"set TESTCONTAINERS_RYUK_DISABLED=true where Ryuk cannot be pulled: {e.Message}", e);
        }
        Source = $"localhost:{_source.GetMappedPublicPort(5000)}";
        Target = $"localhost:{_target.GetMappedPublicPort(5000)}";
    }

    /// <summary>A raw client for a registry's API; with the password when <paramref name="authenticated"/>.</summary>
    public static HttpClient Client(string registry, bool authenticated)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{registry}") };
        if (authenticated)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.ASCII.GetBytes($"{User}:{Password}")));
        return client;
    }

    public async Task DisposeAsync()
    {
        if (_source is not null) await _source.DisposeAsync();
        if (_target is not null) await _target.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "oci-registries";
}
