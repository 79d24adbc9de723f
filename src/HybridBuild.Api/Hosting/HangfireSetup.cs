using Hangfire;
using HybridBuild.Api.Access;
using Microsoft.AspNetCore.Authentication;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using HybridBuild.Application;
using HybridBuild.Application.Pipeline;

namespace HybridBuild.Api.Hosting;

/// <summary>Hangfire on PostgreSQL (its own schema), a server on worker nodes, and the dashboard.</summary>
internal static class HangfireSetup
{
    public const string Schema = "hangfire";

    public static IServiceCollection AddHybridBuildJobs(this IServiceCollection services, IConfiguration configuration)
    {
        // settings are read from the container, not at registration, so a host's later configuration counts
        services.AddHangfire((sp, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(Data.DataServiceCollectionExtensions.ConnectionString(sp.GetRequiredService<IConfiguration>())), new PostgreSqlStorageOptions
            {
                SchemaName = Schema,
                PrepareSchemaIfNecessary = true,
                // LISTEN/NOTIFY wakes a worker as soon as a stage is queued; polling is only the fallback
                EnableLongPolling = true,
                QueuePollInterval = TimeSpan.FromSeconds(5),
                InvisibilityTimeout = ApplicationServiceCollectionExtensions.InvisibilityTimeout,
            }));

        // the role switch has to be known while services are registered: set it in appsettings or the environment
        if (configuration.GetValue(WorkerOptions.Section + ":Enabled", true)) services.AddHybridBuildWorker();
        return services;
    }

    public static WebApplication UseHybridBuildJobs(this WebApplication app)
    {
        // the dashboard can delete and requeue jobs: admin keys only, asked for with Basic so a browser can log in
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/hangfire"), dashboard => dashboard.Use(async (http, next) =>
        {
            if (DashboardAccess.IsAdmin(http)) { await next(http); return; }
            await http.ChallengeAsync(ApiKeyAuthenticationHandler.SchemeName);
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        }));
        app.UseHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new DashboardAccess()],
            DashboardTitle = "HybridBuildService jobs",
        });
        app.Services.GetRequiredService<IRecurringJobManager>().ScheduleHybridBuildJobs();
        return app;
    }

    /// <summary>Requests authenticated with an admin key.</summary>
    private sealed class DashboardAccess : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => IsAdmin(context.GetHttpContext());

        public static bool IsAdmin(HttpContext http) =>
            http.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Core.Domain.ApiScopes.Admin);
    }
}
