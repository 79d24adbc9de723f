using HybridBuild.BuildKit.Buildx;
using HybridBuild.BuildKit.Docker;
using HybridBuild.Core.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.BuildKit;

public static class BuildKitServiceCollectionExtensions
{
    private static readonly string[] Engines = ["Buildx"];

    /// <summary>The BuildKit engine chosen by "Engine:Provider" (buildx by default) and the Docker engine client.</summary>
    public static IServiceCollection AddHybridBuildEngine(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Engine");
        services.AddOptions<DockerEngineOptions>().Bind(section.GetSection("Docker"))
            .Validate(o => Uri.TryCreate(o.ResolvedHost, UriKind.Absolute, out _), "Engine:Docker:Host must be a URI such as unix:///var/run/docker.sock.")
            .ValidateOnStart();
        services.TryAddSingleton<DockerEngine>();

        var provider = section["Provider"] ?? "Buildx";
        switch (provider.ToLowerInvariant())
        {
            case "buildx":
                services.AddOptions<BuildxOptions>().Bind(section.GetSection("Buildx"))
                    .Validate(o => string.IsNullOrEmpty(o.Endpoint) || o.Endpoint.StartsWith("tcp://") || o.Endpoint.StartsWith("unix://"),
                        "Engine:Buildx:Endpoint must start with tcp:// or unix://.")
                    .ValidateOnStart();
                services.TryAddSingleton<IBuildEngine, BuildxEngine>();
                break;
            default:
                throw new InvalidOperationException($"Engine:Provider '{provider}' is not supported; use one of: {string.Join(", ", Engines)}.");
        }
        return services;
    }
}
