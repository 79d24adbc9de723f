using HybridBuild.Api.WebConsole;
using HybridBuild.Api.Endpoints;
using HybridBuild.Api.Health;
using HybridBuild.Api.OpenApi;
using HybridBuild.Api.Problems;
using HybridBuild.Api.Requests;
using HybridBuild.Application;
using HybridBuild.BuildKit;
using HybridBuild.Core;
using HybridBuild.Publishing;
using HybridBuild.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace HybridBuild.Api.Hosting;

/// <summary>Wires the service: each project's AddXyz(), the API, the jobs, health, Swagger UI and the web console.</summary>
internal static class ServiceSetup
{
    public static IServiceCollection AddHybridBuildService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHybridBuildCore(configuration)
            .AddHybridBuildStorage(configuration)
            .AddHybridBuildEngine(configuration)
            .AddHybridBuildData(configuration)
            .AddHybridBuildPublishing(configuration)
            .AddHybridBuildApplication(configuration)
            .AddHybridBuildJobs(configuration)
            .AddHybridBuildHealth()
            .AddHybridBuildAccess(configuration)
            .AddHybridBuildRateLimits(configuration)
            .AddHybridBuildOpenApi()
            .AddHybridBuildTelemetry(configuration);

        services.AddHybridBuildKestrel();
        services.AddSingleton<RequestReader>();
        services.AddHostedService<EngineStartupCheck>();
        if (configuration.GetValue("Runtime:TrimWhenIdle", true)) services.AddHostedService<IdleTrim>();

        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        // Swashbuckle describes types with MVC's JSON options: the same settings keep the document true to the wire
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(o => ApiJson.Configure(o.JsonSerializerOptions));
        // a query value that cannot be bound (?page=abc, ?follow=maybe) throws, so the problem handler answers with what was wrong
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = StatusProblems.Describe);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }

    /// <summary>
    /// Applies the database migrations (Database:MigrateOnStartup, on by default). Nodes that start together on a fresh
    /// database take turns under a session advisory lock: EF Core's own lock does not stop two of them applying the
    /// same migration (seen: "column already exists" on the second).
    /// </summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        if (!app.Configuration.GetValue("Database:MigrateOnStartup", true)) return;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BuildDbContext>();
        await db.Database.OpenConnectionAsync();
        try
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({MigrationLock})");
            try
            {
                // creating the history table first spares a fresh database EF's logged failure of reading a missing one
                await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IHistoryRepository>().CreateIfNotExistsAsync();
                await db.Database.MigrateAsync();
            }
            finally
            {
                // the connection goes back to the pool, not away: the lock is given back by hand
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({MigrationLock})");
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The advisory lock key nodes migrate under ("hbmigrat").</summary>
    private const long MigrationLock = 0x68626D6967726174;

    public static WebApplication UseHybridBuildService(this WebApplication app)
    {
        app.UseRequestTracking();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseNulRejection();
        var api = app.Configuration.GetValue("Api:Enabled", true);
        // the API description is public: served before authorization, whose fallback policy closes everything not marked public
        if (api)
        {
            app.UseHybridBuildOpenApi();
            // the console's files are public too: it signs in with a key it sends on each API call
            app.UseHybridBuildConsole();
        }
        app.UseAuthentication();
        // after authentication, which names the key a request is counted against
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapHybridBuildHealth();
        app.MapHybridBuildMetrics();
        if (api)
        {
            // every endpoint under /api/v1 names the scope it needs; health and the API description stay open
            app.MapGroup(ApiLinks.Root).MapBuilds().MapLogs().MapArtifacts().MapPublications().MapTriggers().MapNotifications().MapKeys().MapSecrets();
        }
        app.UseHybridBuildJobs();
        return app;
    }
}
