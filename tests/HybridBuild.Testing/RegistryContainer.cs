using System.Net;
using System.Net.Http.Headers;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace HybridBuild.Testing;

/// <summary>
/// A real registry:2 in a container on a random loopback port: anonymous, or wanting a password (htpasswd, which
/// registry:2 answers with a Basic challenge). Fails saying what is missing when Docker or the image is not there.
/// </summary>
public sealed class RegistryContainer : IAsyncDisposable
{
    public const string User = "hybridbuild";
    public const string Password = "hybridbuild-test-password";
    // bcrypt of Password (registry:2 reads only bcrypt htpasswd entries); a test credential, not a secret
    private const string HtpasswdLine = "hybridbuild:$2b$10$s8oUgPmc6wir8r9nYMt2/uL85Tu15Ehxcp6Hh/H6kTHaMMY3bDW0K\n";

    private readonly IContainer _container;

    private RegistryContainer(IContainer container, bool withPassword)
    {
        _container = container;
        WithPassword = withPassword;
    }

    /// <summary>host:port, as the test process and BuildKit on the local Docker engine reach it.</summary>
    public string Address => $"localhost:{_container.GetMappedPublicPort(5000)}";

    public bool WithPassword { get; }

    public static async Task<RegistryContainer> StartAsync(bool withPassword)
    {
        var builder = new ContainerBuilder("registry:2").WithPortBinding(5000, assignRandomHostPort: true).WithLabel("hybridbuild.test", "registry");
        builder = withPassword
            ? builder.WithResourceMapping(Encoding.ASCII.GetBytes(HtpasswdLine), "/auth/htpasswd")
                .WithEnvironment("REGISTRY_AUTH", "htpasswd")
                .WithEnvironment("REGISTRY_AUTH_HTPASSWD_REALM", "hybridbuild-tests")
                .WithEnvironment("REGISTRY_AUTH_HTPASSWD_PATH", "/auth/htpasswd")
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(5000).ForPath("/v2/").ForStatusCode(HttpStatusCode.Unauthorized)))
            : builder.WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(5000).ForPath("/v2/")));
        var container = builder.Build();
        try
        {
            await container.StartAsync();
        }
        catch (Exception e)
        {
            await container.DisposeAsync();
            throw new InvalidOperationException(
                "These tests need a Docker engine (DOCKER_HOST, or /var/run/docker.sock) with the registry:2 image; "
                + $"set TESTCONTAINERS_RYUK_DISABLED=true where Ryuk cannot be pulled: {e.Message}", e);
        }
        return new RegistryContainer(container, withPassword);
    }

    /// <summary>A raw client for the registry's API, with its password when it wants one, asking for every manifest type.</summary>
    public HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{Address}") };
        if (WithPassword)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{User}:{Password}")));
        foreach (var type in (string[])["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                     "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json"])
            client.DefaultRequestHeaders.Accept.ParseAdd(type);
        return client;
    }

    public ValueTask DisposeAsync() => _container.DisposeAsync();
}
