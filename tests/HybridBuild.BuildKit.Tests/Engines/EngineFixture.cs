using Docker.DotNet;
using HybridBuild.BuildKit.Docker;
using Microsoft.Extensions.Configuration;

namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>
/// Both engines on the Docker engine's BuildKit, and a registry:2 that wants a password (htpasswd), whose
/// credentials only the engines' configuration holds. Fails saying what is missing when Docker is not there.
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public const string RegistryUser = RegistryContainer.User;
    public const string RegistryPassword = RegistryContainer.Password;

    private RegistryContainer? _registry;
    private ServiceProvider? _services;

    /// <summary>host:port of the password-protected registry, as BuildKit on the Docker engine reaches it.</summary>
    public string Registry { get; private set; } = "";
    public IServiceProvider Services => _services!;
    internal BuildxEngine Buildx => _services!.GetRequiredService<BuildxEngine>();
    internal NativeEngine Native => _services!.GetRequiredService<NativeEngine>();
    public DockerClient Docker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Docker = await DockerCheck.ConnectAsync(new DockerEngineOptions().ResolvedHost);
        _registry = await RegistryContainer.StartAsync(withPassword: true);
        Registry = _registry.Address;
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
    public HttpClient RegistryClient() => _registry!.Client();

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
