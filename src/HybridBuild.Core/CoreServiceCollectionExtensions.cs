using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Source fetching, the limits on uploaded contexts and on specs ("Sources", "Limits" sections).</summary>
    public static IServiceCollection AddHybridBuildCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SourceOptions>().Bind(configuration.GetSection(SourceOptions.Section)).ValidateOnStart();
        services.AddOptions<ContextLimits>().Bind(configuration.GetSection("Limits"))
            .Validate(l => l.MaxArchiveBytes > 0 && l.MaxExtractedBytes > 0 && l.MaxEntries > 0 && l.MaxPathDepth > 0, "Limits must be positive.")
            .ValidateOnStart();
        services.AddOptions<Specs.SpecLimits>().Bind(configuration.GetSection("Limits")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Network.NetworkOptions>().Bind(configuration.GetSection(Network.NetworkOptions.Section))
            .Validate(o => o.AllowedHosts.All(h => !string.IsNullOrWhiteSpace(h)), "Network:AllowedHosts entries must not be empty.")
            .ValidateOnStart();
        services.AddOutboundPolicy();
        services.TryAddSingleton<ISourceFetcher, SourceFetcher>();
        services.AddOptions<Configuration.RegistryOptions>().Bind(configuration.GetSection("Engine"));
        return services;
    }

    /// <summary>The outbound policy (Network:AllowedHosts as bound by <see cref="AddHybridBuildCore"/>; its defaults otherwise), once.</summary>
    public static IServiceCollection AddOutboundPolicy(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new Network.OutboundPolicy(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Network.NetworkOptions>>()));
        return services;
    }
}
