using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridBuild.Api.Health;

/// <summary>Ready when the BuildKit engine answers.</summary>
internal sealed class EngineHealthCheck(IBuildEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var status = await engine.CheckAsync(cancellationToken);
            return status.Ready
                ? HealthCheckResult.Healthy(status.Description, status.Data)
                : HealthCheckResult.Unhealthy(status.Description, data: status.Data);
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"The {engine.Name} engine does not answer: {e.Message}");
        }
    }
}

/// <summary>Ready when blob storage can be written to.</summary>
internal sealed class BlobStoreHealthCheck(IBlobStore blobs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await blobs.ProbeAsync(cancellationToken);
            return HealthCheckResult.Healthy("Blob storage accepts writes.");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"Blob storage does not accept writes: {e.Message}");
        }
    }
}
