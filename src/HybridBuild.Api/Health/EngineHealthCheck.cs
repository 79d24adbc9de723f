using HybridBuild.Application.Builders;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridBuild.Api.Health;

/// <summary>
/// Ready when a builder answers; lists each builder's state (up or down, why, platforms, solve limit). With one
/// builder (no pool configured) its engine's details are the check's data, as before there was a pool.
/// </summary>
internal sealed class EngineHealthCheck(BuilderPool pool) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var states = await Task.WhenAll(pool.All.Select(b => pool.CheckAsync(b, cancellationToken)));
        var data = states.Length == 1 ? new Dictionary<string, object>(states[0].Data) : [];
        data["builders"] = states.Select(s => new
        {
            name = s.Name, state = s.Up ? "up" : "down", description = s.Description, platforms = s.Platforms,
            maxSolves = s.MaxSolves == int.MaxValue ? (int?)null : s.MaxSolves, checkedAt = s.CheckedAt,
        }).ToList();
        var up = states.Count(s => s.Up);
        var description = states.Length == 1 ? states[0].Description : $"{up} of {states.Length} builders answer";
        return up > 0 ? HealthCheckResult.Healthy(description, data) : HealthCheckResult.Unhealthy(description, data: data);
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
