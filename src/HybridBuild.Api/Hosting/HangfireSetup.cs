using Hangfire;
using HybridBuild.Api.Access;
using Microsoft.AspNetCore.Authentication;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using HybridBuild.Api.Pipeline;

namespace HybridBuild.Api.Hosting;

/// <summary>Hangfire on PostgreSQL (its own schema), a server on worker nodes, and the dashboard.</summary>
internal static class HangfireSetup
{
    public const string Schema = "hangfire";
    public static readonly TimeSpan InvisibilityTimeout = TimeSpan.FromHours(3);

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
                InvisibilityTimeout = InvisibilityTimeout,
            }));

        // the role switch has to be known while services are registered: set it in appsettings or the environment
        if (configuration.GetValue(WorkerOptions.Section + ":Enabled", true))
        {
            services.AddHangfireServer((sp, o) =>
            {
                o.Queues = [HangfireStageQueue.Queue];
                o.WorkerCount = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WorkerOptions>>().Value.Concurrency;
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
                o.CancellationCheckInterval = TimeSpan.FromSeconds(1);
            });
            // the sweep that recovers lost stages gets a worker of its own: long builds must not hold it up
            services.AddHangfireServer(o =>
            {
                o.Queues = [StageReconciler.Queue];
                o.WorkerCount = 1;
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}:maintenance";
            });
        }
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
        app.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<StageReconciler>(StageReconciler.JobId, StageReconciler.Queue, r => r.RunAsync(CancellationToken.None), Cron.Minutely());
        app.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<EngineHousekeeping>(EngineHousekeeping.JobId, StageReconciler.Queue, h => h.RunAsync(CancellationToken.None), Cron.Hourly());
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
