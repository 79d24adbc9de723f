using Hangfire;
using Microsoft.AspNetCore.Authentication;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using HybridBuild.Application;
using HybridBuild.Application.Pipeline;
using HybridBuild.Application.Telemetry;
using Microsoft.Extensions.Options;

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
            .UseHybridBuildTraceContext()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(Data.DataServiceCollectionExtensions.ConnectionString(sp.GetRequiredService<IConfiguration>())), new PostgreSqlStorageOptions
            {
                SchemaName = Schema,
                PrepareSchemaIfNecessary = true,
                // LISTEN/NOTIFY wakes a worker as soon as a stage is queued; polling is only the fallback
                EnableLongPolling = true,
                QueuePollInterval = TimeSpan.FromSeconds(5),
                InvisibilityTimeout = ApplicationServiceCollectionExtensions.InvisibilityTimeout,
                // Hangfire's locks here are rows, not sessions: one a killed node held (a recurring job's, the reconciler's)
                // stays until it is this old, and until then no node can start (scheduling the recurring jobs takes it) and
                // no sweep runs. Its default of 10 minutes would hold recovery up that long; a lock a node timeout old is a
                // dead node's, and what the locks guard (the sweep, triggering a recurring job) is safe to run twice.
                DistributedLockTimeout = sp.GetRequiredService<IOptions<WorkerOptions>>().Value.NodeTimeout,
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
        ScheduleRecurringJobs(app.Services);
        return app;
    }

    /// <summary>
    /// A node killed while triggering a recurring job leaves that job's lock behind, removed once it is
    /// DistributedLockTimeout old: a node started meanwhile waits it out instead of failing its start.
    /// </summary>
    private static void ScheduleRecurringJobs(IServiceProvider services)
    {
        var recurring = services.GetRequiredService<IRecurringJobManager>();
        var giveUp = DateTime.UtcNow + 3 * services.GetRequiredService<IOptions<WorkerOptions>>().Value.NodeTimeout;
        while (true)
        {
            try
            {
                recurring.ScheduleHybridBuildJobs();
                return;
            }
            catch (PostgreSqlDistributedLockException) when (DateTime.UtcNow < giveUp)
            {
                // each attempt already waited for the lock a while
            }
        }
    }

    /// <summary>Requests authenticated with an admin key.</summary>
    private sealed class DashboardAccess : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => IsAdmin(context.GetHttpContext());

        public static bool IsAdmin(HttpContext http) =>
            http.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Core.Domain.ApiScopes.Admin);
    }
}
