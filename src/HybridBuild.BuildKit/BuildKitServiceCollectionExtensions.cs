using HybridBuild.BuildKit.Buildx;
using HybridBuild.BuildKit.Client.Transport;
using HybridBuild.BuildKit.Docker;
using HybridBuild.BuildKit.Native;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace HybridBuild.BuildKit;

public static partial class BuildKitServiceCollectionExtensions
{
    private static readonly string[] Engines = ["Native", "Buildx"];

    /// <summary>
    /// The BuildKit engine chosen by "Engine:Provider" (the native gRPC client by default, or buildx) and the Docker
    /// engine client. The provider is read when the engine is first resolved, so a host's later configuration counts.
    /// </summary>
    public static IServiceCollection AddHybridBuildEngine(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Engine");
        services.AddOptions<DockerEngineOptions>().Bind(section.GetSection("Docker"))
            .Validate(o => Uri.TryCreate(o.ResolvedHost, UriKind.Absolute, out _), "Engine:Docker:Host must be a URI such as unix:///var/run/docker.sock.")
            .ValidateOnStart();
        services.TryAddSingleton<DockerEngine>();
        services.TryAddSingleton<IEngineMaintenance>(sp => sp.GetRequiredService<DockerEngine>());
        services.AddOptions<WasiOptions>().Bind(section.GetSection("Wasi"));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IContainerRunner, ContainerRunner>();

        services.AddOptions<EngineOptions>().Bind(section)
            .Validate(o => Engines.Contains(o.Provider, StringComparer.OrdinalIgnoreCase),
                $"Engine:Provider is not supported; use one of: {string.Join(", ", Engines)}.")
            .Validate(o => Core.Specs.SpecRules.ImageReference().IsMatch(o.Attestations.SbomGenerator),
                "Engine:Attestations:SbomGenerator must be an image reference, e.g. docker/buildkit-syft-scanner:stable-1.")
            .ValidateOnStart();
        services.AddOptions<BuildxOptions>().Bind(section.GetSection("Buildx"))
            .Validate(o => string.IsNullOrEmpty(o.Endpoint) || o.Endpoint.StartsWith("tcp://") || o.Endpoint.StartsWith("unix://"),
                "Engine:Buildx:Endpoint must start with tcp:// or unix://.")
            .ValidateOnStart();
        services.AddOptions<NativeEngineOptions>().Bind(section.GetSection("Native"))
            .Validate(o => string.IsNullOrWhiteSpace(o.Address) || IsAddress(o.Address),
                "Engine:Native:Address must be docker, docker+unix:///path, docker+tcp://host:port, unix:///path or tcp://host:port.")
            .ValidateOnStart();
        services.TryAddSingleton<BuildxEngine>();
        services.TryAddSingleton<NativeEngine>();
        services.AddOptions<EngineOptions>()
            .Validate(o => o.Builders.Count == 0 || !o.Provider.Equals("buildx", StringComparison.OrdinalIgnoreCase),
                "Engine:Builders are driven by the native engine; with Engine:Provider=Buildx use one buildx builder (Engine:Buildx).")
            .Validate(o => o.Builders.All(b => BuilderName().IsMatch(b.Name)),
                "Engine:Builders:N:Name is required: 1-63 letters, digits, '-', '_' or '.'.")
            .Validate(o => o.Builders.Select(b => b.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() == o.Builders.Count,
                "Engine:Builders names must be unique.")
            .Validate(o => o.Builders.All(b => IsAddress(b.Address)),
                "Engine:Builders:N:Address must be docker, docker+unix:///path, docker+tcp://host:port, unix:///path or tcp://host:port.")
            .Validate(o => o.Builders.All(b => b.MaxSolves is >= 1 and <= 1000), "Engine:Builders:N:MaxSolves must be between 1 and 1000.")
            .Validate(o => o.Builders.All(b => ValidCacheLimit(b.CacheKeepStorageMiB, b.CacheKeepFor)),
                "Engine:Builders:N:CacheKeepStorageMiB must be between 0 and 2^40 (1 EiB) and Engine:Builders:N:CacheKeepFor not negative.");
        services.AddOptions<NativeEngineOptions>()
            .Validate(o => ValidCacheLimit(o.CacheKeepStorageMiB, o.CacheKeepFor),
                "Engine:Native:CacheKeepStorageMiB must be between 0 and 2^40 (1 EiB) and Engine:Native:CacheKeepFor not negative.")
            .Validate<IOptions<EngineOptions>>((o, engine) => o.CacheKeepStorageMiB is null
                || !engine.Value.Provider.Equals("buildx", StringComparison.OrdinalIgnoreCase),
                "Engine:Native:CacheKeepStorageMiB bounds the native engine's cache; a buildx builder keeps its cache by its own GC policy "
                + "(buildkitd.toml, or the Docker engine's builder.gc), so leave it unset with Engine:Provider=Buildx.");
        services.TryAddSingleton<IBuilders>(sp => new BuilderSet(sp.GetRequiredService<IOptions<EngineOptions>>(),
            sp.GetRequiredService<IOptions<NativeEngineOptions>>(), sp.GetRequiredService<IOptions<DockerEngineOptions>>(),
            sp.GetRequiredService<DockerEngine>(),
            () => sp.GetRequiredService<IOptions<EngineOptions>>().Value.Provider.Equals("buildx", StringComparison.OrdinalIgnoreCase)
                ? sp.GetRequiredService<BuildxEngine>()
                : sp.GetRequiredService<NativeEngine>(),
            sp.GetRequiredService<ILoggerFactory>()));
        return services;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex BuilderName();

    private static bool ValidCacheLimit(long? keepMiB, TimeSpan? keepFor) => keepMiB is null or (>= 0 and <= 1L << 40) && keepFor is not { Ticks: < 0 };

    private static bool IsAddress(string address)
    {
        if (address.Trim() == "docker") return true;
        try
        {
            BuildKitAddress.Parse(address);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>"Engine": which engine builds stages.</summary>
public sealed record EngineOptions
{
    /// <summary><c>Native</c> (the in-process gRPC client, default) or <c>Buildx</c> (drives <c>docker buildx build</c>).</summary>
    public string Provider { get; init; } = "Native";

    /// <summary>The pool of BuildKit daemons; empty means one builder, the engine above.</summary>
    public List<BuilderOptions> Builders { get; init; } = [];

    /// <summary>Registry credentials the native engine hands BuildKit for pushes and pulls.</summary>
    public List<Core.Configuration.RegistryCredentialOptions> Registries { get; init; } = [];

    /// <summary>"Engine:Attestations": what stages' attestations (<c>attest</c>) are made with.</summary>
    public AttestationOptions Attestations { get; init; } = new();
}

/// <summary>"Engine:Attestations".</summary>
public sealed record AttestationOptions
{
    /// <summary>The scanner image BuildKit runs to make an SBOM; the builder must have it or be able to pull it.</summary>
    public string SbomGenerator { get; init; } = "docker/buildkit-syft-scanner:stable-1";
}
