using Hangfire.Common;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Application.Telemetry;

/// <summary>Registers the service's instruments, and the wrappers that measure blob storage and carry traces through jobs.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// The metrics the use cases record and the gauges read at a scrape; and the blob store registered so far, wrapped
    /// so its writes are traced and counted (call it after the storage provider's AddXyz()).
    /// </summary>
    internal static IServiceCollection AddHybridBuildInstruments(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<HybridBuildMetrics>();
        services.TryAddSingleton<ServiceGauges>();
        if (services.LastOrDefault(d => d.ServiceType == typeof(IBlobStore) && !d.IsKeyedService) is { } store)
        {
            services.Remove(store);
            services.AddSingleton<IBlobStore>(sp => new MeteredBlobStore(Create(sp, store), sp.GetRequiredService<HybridBuildMetrics>()));
        }
        return services;
    }

    /// <summary>
    /// Jobs carry the trace context of the code that queued them (<see cref="JobTraceContext"/>). Hangfire's filters are
    /// global to the process: a second host in it (tests) does not add a second one.
    /// </summary>
    public static IGlobalConfiguration UseHybridBuildTraceContext(this IGlobalConfiguration configuration)
    {
        lock (GlobalJobFilters.Filters)
            if (!GlobalJobFilters.Filters.Any(f => f.Instance is JobTraceContext)) configuration.UseFilter(new JobTraceContext());
        return configuration;
    }

    private static IBlobStore Create(IServiceProvider services, ServiceDescriptor store) => (IBlobStore)(store.ImplementationInstance
        ?? store.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, store.ImplementationType!));
}
