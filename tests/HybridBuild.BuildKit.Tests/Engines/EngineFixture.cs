using Docker.DotNet;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using HybridBuild.BuildKit.Buildx;
using HybridBuild.BuildKit.Docker;
using HybridBuild.BuildKit.Native;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>
/// Both engines on the Docker engine's BuildKit, and a registry:2 that wants a password (htpasswd), whose
/// credentials only the engines' configuration holds. Fails saying what is missing when Docker is not there.
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public const string RegistryUser = "hybridbuild";
    public const string RegistryPassword = "hybridbuild-test-password";
    // bcrypt of RegistryPassword (registry:2 reads only bcrypt htpasswd entries); a test credential, not a secret
    private const string HtpasswdLine = "hybridbuild:$2b$10$s8oUgPmc6wir8r9nYMt2/uL85Tu15Ehxcp6Hh/H6kTHaMMY3bDW0K\n";

    private IContainer? _registry;
    private ServiceProvider? _services;

    /// <summary>host:port of the password-protected registry, as BuildKit on the Docker engine reaches it.</summary>
    public string Registry { get; private set; } = "";
    public IServiceProvider Services => _services!;
    internal BuildxEngine Buildx => _services!.GetRequiredService<BuildxEngine>();
    internal NativeEngine Native => _services!.GetRequiredService<NativeEngine>();
    public DockerClient Docker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var host = new DockerEngineOptions().ResolvedHost;
        try
        {
            Docker = new DockerClientBuilder().WithEndpoint(new Uri(host)).Build();
            await Docker.System.PingAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"These tests need a Docker engine with BuildKit and the buildx plugin at {host} (set DOCKER_HOST to point elsewhere): {e.Message}", e);
        }

        _registry = new ContainerBuilder("registry:2")
            .WithPortBinding(5000, assignRandomHostPort: true)
            .WithResourceMapping(System.Text.Encoding.ASCII.GetBytes(HtpasswdLine), "/auth/htpasswd")
            .WithEnvironment("REGISTRY_AUTH", "htpasswd")
            .WithEnvironment("REGISTRY_AUTH_HTPASSWD_REALM", "hybridbuild-tests")
            .WithEnvironment("REGISTRY_AUTH_HTPASSWD_PATH", "/auth/htpasswd")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(5000).ForPath("/v2/").ForStatusCode(System.Net.HttpStatusCode.Unauthorized)))
            .Build();
        await _registry.StartAsync();
        Registry = $"localhost:{_registry.GetMappedPublicPort(5000)}";
        _services = Engines(withCredentials: true);
    }

    /// <summary>The engines as the service wires them; <paramref name="sessionVia"/> picks the native session path.</summary>
    public ServiceProvider Engines(bool withCredentials, string sessionVia = "Upgrade", string? passwordFile = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Engine:Native:SessionVia"] = sessionVia,
        };
        if (withCredentials)
        {
            settings["Engine:Registries:0:Host"] = Registry;
            settings["Engine:Registries:0:Username"] = RegistryUser;
            settings["Engine:Registries:0:Password"] = RegistryPassword;
            settings["Engine:Registries:0:PasswordFile"] = passwordFile;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddHybridBuildEngine(configuration).BuildServiceProvider();
    }

    /// <summary>A client for the registry's HTTP API, with the registry's password.</summary>
    public HttpClient RegistryClient()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{Registry}") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{RegistryUser}:{RegistryPassword}")));
        client.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.oci.image.index.v1+json");
        client.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        client.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        return client;
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
        if (_registry is not null) await _registry.DisposeAsync();
        Docker?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engines";
}
