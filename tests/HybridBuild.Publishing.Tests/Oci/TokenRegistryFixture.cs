using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// A registry:2 that wants Docker-token authentication (<c>REGISTRY_AUTH=token</c>), its token service being
/// <see cref="TokenServer"/> in this process: the Bearer challenge path real registries (Docker Hub, GHCR,
/// Harbor) take.
/// </summary>
public sealed class TokenRegistryFixture : IAsyncLifetime
{
    private IContainer? _registry;

    public TokenServer Tokens { get; private set; } = null!;

    /// <summary>host:port of the registry.</summary>
    public string Registry { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Tokens = await TokenServer.StartAsync(RegistryFixture.User, RegistryFixture.Password);
        _registry = new ContainerBuilder("registry:2")
            .WithPortBinding(5000, assignRandomHostPort: true)
            .WithLabel("hybridbuild.test", "oci-copy")
            .WithResourceMapping(Encoding.ASCII.GetBytes(Tokens.CertificatePem), "/certs/token.pem")
            .WithEnvironment("REGISTRY_AUTH", "token")
            .WithEnvironment("REGISTRY_AUTH_TOKEN_REALM", Tokens.Realm.ToString())
            .WithEnvironment("REGISTRY_AUTH_TOKEN_SERVICE", TokenServer.Service)
            .WithEnvironment("REGISTRY_AUTH_TOKEN_ISSUER", TokenServer.Issuer)
            .WithEnvironment("REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE", "/certs/token.pem")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(5000).ForPath("/v2/").ForStatusCode(HttpStatusCode.Unauthorized)))
            .Build();
        try
        {
            await _registry.StartAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                "These tests need a Docker engine (DOCKER_HOST, or /var/run/docker.sock) with the registry:2 image; "
                + $"set TESTCONTAINERS_RYUK_DISABLED=true where Ryuk cannot be pulled: {e.Message}", e);
        }
        Registry = $"localhost:{_registry.GetMappedPublicPort(5000)}";
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
        if (Tokens is not null) await Tokens.DisposeAsync();
    }
}
