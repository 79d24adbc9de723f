using HybridBuild.Api.Access;
using HybridBuild.Api.Contracts;
using HybridBuild.Api.Endpoints;
using HybridBuild.Api.Health;
using HybridBuild.Api.OpenApi;
using HybridBuild.Api.Pipeline;
using HybridBuild.Api.Problems;
using HybridBuild.Api.Publications;
using HybridBuild.Api.Secrets;
using HybridBuild.Api.Triggers;
using HybridBuild.Publishing;
using HybridBuild.Api.Submissions;
using HybridBuild.BuildKit;
using HybridBuild.Core;
using HybridBuild.Core.Abstractions;
using HybridBuild.Data;
using HybridBuild.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Api.Hosting;

/// <summary>Wires the service: each project's AddXyz(), the API, the jobs, health and Swagger UI.</summary>
internal static class ServiceSetup
{
    public static IServiceCollection AddHybridBuildService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHybridBuildCore(configuration)
            .AddHybridBuildStorage(configuration)
            .AddHybridBuildEngine(configuration)
            .AddHybridBuildData(configuration)
            .AddHybridBuildJobs(configuration)
            .AddHybridBuildHealth()
            .AddHybridBuildAccess(configuration)
            .AddHybridBuildOpenApi();

        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.Section))
            .Validate(o => o.Concurrency is > 0 and <= 256, "Worker:Concurrency must be from 1 to 256.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.WorkDirectory), "Worker:WorkDirectory is required.")
            .Validate(o => o.StageTimeout < HangfireSetup.InvisibilityTimeout,
                $"Worker:StageTimeout must be shorter than {HangfireSetup.InvisibilityTimeout} (Hangfire would deliver a still-running stage again).")
            .ValidateOnStart();
        services.AddOptions<OutputOptions>().Bind(configuration.GetSection(OutputOptions.Section)).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IStageQueue, HangfireStageQueue>();
        services.AddSingleton<BuildLog>();
        services.AddScoped<BuildScheduler>();
        services.AddScoped<StageJob>();
        services.AddScoped<StageExecutor>();
        services.AddScoped<StageReconciler>();
        services.AddScoped<EngineHousekeeping>();
        services.AddScoped<InputPlacer>();
        services.AddSingleton<ArtifactCollector>();
        services.AddSingleton<RequestReader>();
        services.AddOptions<Secrets.SecretOptions>().Bind(configuration.GetSection(Secrets.SecretOptions.Section))
            .Validate(o => Secrets.SecretCipher.IsValidKey(o.ResolvedMasterKey), "Secrets:MasterKey must be the base64 of 32 random bytes (openssl rand -base64 32).")
            .ValidateOnStart();
        services.AddSingleton<Secrets.SecretCipher>();
        services.AddHybridBuildPublishing(configuration);
        services.AddOptions<Publications.PublishingOptions>().Bind(configuration.GetSection(Publications.PublishingOptions.Section))
            .Validate(o => o.Targets.Values.All(t => Uri.TryCreate(t.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"),
                "Publishing:Targets:<name>:Url must be an http or https URL.")
            .ValidateOnStart();
        services.AddScoped<Publications.PublicationJob>();
        services.AddScoped<Publications.PublicationService>();
        services.AddScoped<Triggers.SpecFileJob>();
        // large layers take as long as they take: the job's cancellation token bounds a copy, not a timeout
        services.AddHttpClient<HybridBuild.Publishing.Oci.OciImageCopier>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddScoped<BuildSubmission>();
        services.AddHostedService<EngineStartupCheck>();

        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        // Swashbuckle describes types with MVC's JSON options: the same settings keep the document true to the wire
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(o => ApiJson.Configure(o.JsonSerializerOptions));
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }

    /// <summary>Applies the database migrations (Database:MigrateOnStartup, on by default; EF Core locks so nodes can start together).</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        if (!app.Configuration.GetValue("Database:MigrateOnStartup", true)) return;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BuildDbContext>();
        // creating the history table first spares a fresh database EF's logged failure of reading a missing one
        await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IHistoryRepository>().CreateIfNotExistsAsync();
        await db.Database.MigrateAsync();
    }

    public static WebApplication UseHybridBuildService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHybridBuildHealth();
        if (app.Configuration.GetValue("Api:Enabled", true))
        {
            app.UseHybridBuildOpenApi();
            app.MapGet("/", () => Results.Redirect("/swagger")).ExcludeFromDescription();
            // every endpoint under /api/v1 names the scope it needs; health and the API description stay open
            app.MapGroup("/api/v1").MapBuilds().MapLogs().MapArtifacts().MapPublications().MapTriggers().MapKeys().MapSecrets();
        }
        app.UseHybridBuildJobs();
        return app;
    }
}
