using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridBuild.Api.Health;

internal static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    public static IServiceCollection AddHybridBuildHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddDbContextCheck<Data.BuildDbContext>("database", tags: [ReadyTag], customTestQuery: CanConnectAsync)
            .AddCheck<EngineHealthCheck>("buildkit", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(10))
            .AddCheck<BlobStoreHealthCheck>("blobStorage", tags: [ReadyTag], timeout: TimeSpan.FromSeconds(5));
        services.AddSingleton<ReadinessProbe>();
        return services;
    }

    /// <summary>A database that does not answer within a few seconds is down: a probe must not hang on connection retries.</summary>
    private static async Task<bool> CanConnectAsync(Data.BuildDbContext db, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        return await db.Database.CanConnectAsync(bounded.Token);
    }

    public static IEndpointRouteBuilder MapHybridBuildHealth(this IEndpointRouteBuilder app)
    {
        // probes are never rate limited: an orchestrator must not see a busy key's node as dead
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous().DisableRateLimiting();
        app.MapGet("/health/ready", async (ReadinessProbe probe, HttpContext http) =>
        {
            var report = await probe.ReportAsync(http.RequestAborted);
            http.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            http.Response.Headers.CacheControl = "no-store, no-cache";
            await WriteAsync(http, report);
        }).ExcludeFromDescription().AllowAnonymous().DisableRateLimiting();
        return app;
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        };
        return http.Response.WriteAsync(JsonSerializer.Serialize(body, ApiJson.Options));
    }
}
