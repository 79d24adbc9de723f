using HybridBuild.Application.Retention;
using HybridBuild.Application.Submissions;
using HybridBuild.Application.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Application;

public static class ApplicationServiceCollectionExtensions
{
    /// <summary>
    /// The use cases and their jobs ("Worker", "Outputs", "Secrets", "Publishing", "Retention" sections, and the queue's
    /// cap in "Limits"). Hangfire's storage and servers are the host's; this registers what its jobs resolve, the job
    /// dispatcher, and the sweep of the work directory (every node has one: API nodes too).
    /// </summary>
    public static IServiceCollection AddHybridBuildApplication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.Section))
            .Validate(o => o.Concurrency is > 0 and <= 256, "Worker:Concurrency must be from 1 to 256.")
            .Validate(o => o.PublicationConcurrency is > 0 and <= 256 && o.SpecFileConcurrency is > 0 and <= 256 && o.NotificationConcurrency is > 0 and <= 256,
                "Worker:PublicationConcurrency, Worker:SpecFileConcurrency and Worker:NotificationConcurrency must be from 1 to 256.")
            .Validate(o => o.MaxLogBytes > 0, "Worker:MaxLogBytes must be positive.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.WorkDirectory), "Worker:WorkDirectory is required.")
            .Validate(o => o.StageTimeout > TimeSpan.Zero && o.StageTimeout + o.StopGrace < InvisibilityTimeout,
                $"Worker:StageTimeout must be positive and, with Worker:StopGrace, shorter than {InvisibilityTimeout} (the transport would deliver a still-running stage again).")
            .Validate(o => o.StopGrace > TimeSpan.Zero && Core.Specs.SpecRules.MaxStageTimeout + o.StopGrace < InvisibilityTimeout,
                $"Worker:StopGrace must be positive and, with the longest timeout a spec may set ({Core.Specs.SpecRules.MaxStageTimeout}), shorter than {InvisibilityTimeout}.")
            .Validate(o => o.QueueTtl is null || o.QueueTtl > TimeSpan.Zero, "Worker:QueueTtl must be positive, or unset to let queued stages wait until a worker takes them.")
            .Validate(o => o.HeartbeatInterval > TimeSpan.Zero && o.NodeTimeout >= 3 * o.HeartbeatInterval,
                "Worker:NodeTimeout must be at least three Worker:HeartbeatInterval.")
            .Validate(o => o.LeaseTimeout >= 2 * o.NodeTimeout, "Worker:LeaseTimeout must be at least twice Worker:NodeTimeout.")
            .Validate(o => o.SweepInterval > TimeSpan.Zero && o.MaxAttempts > 0, "Worker:SweepInterval and Worker:MaxAttempts must be positive.")
            .ValidateOnStart();
        // an unknown key is an error, not a status kept forever by mistake (Retention:Expired: builds that expired are failed)
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section), o => o.ErrorOnUnknownConfiguration = true)
            .Validate(o => o.Ages().All(a => a.Age >= TimeSpan.Zero), "Retention:Succeeded, Failed and Cancelled must not be negative.")
            .Validate(o => o.BatchSize is > 0 and <= 10_000, "Retention:BatchSize must be from 1 to 10000.")
            .ValidateOnStart();
        services.AddOptions<QueueLimits>().Bind(configuration.GetSection(QueueLimits.Section))
            .Validate(o => o.MaxQueuedBuilds is null or > 0, "Limits:MaxQueuedBuilds must be positive, or unset for no cap.")
            .Validate(o => o.QueueFullRetryAfter >= TimeSpan.FromSeconds(1), "Limits:QueueFullRetryAfter must be at least a second.")
            .ValidateOnStart();
        services.AddOptions<OutputOptions>().Bind(configuration.GetSection(OutputOptions.Section)).ValidateOnStart();
        services.AddOptions<SecretOptions>().Bind(configuration.GetSection(SecretOptions.Section))
            .Validate(o => SecretCipher.IsValidKey(o.ResolvedMasterKey), "Secrets:MasterKey must be the base64 of 32 random bytes (openssl rand -base64 32).")
            .ValidateOnStart();
        services.AddOptions<PublishingOptions>().Bind(configuration.GetSection(PublishingOptions.Section))
            .Validate(o => o.Targets.Values.All(t => Uri.TryCreate(t.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"),
                "Publishing:Targets:<name>:Url must be an http or https URL.")
            .ValidateOnStart();

        services.AddOptions<Notifications.NotificationOptions>().Bind(configuration.GetSection(Notifications.NotificationOptions.Section))
            .Validate(o => o.PublicUrl is null || Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Notifications:PublicUrl must be an http or https URL.")
            .Validate(o => o.ResolvedSigningSecret is not { } secret || Notifications.StandardWebhook.TryKey(secret, out _),
                "Notifications:SigningSecret must be whsec_ followed by the base64 of 24 to 64 random bytes.")
            .Validate(o => o.MaxAttempts is > 0 and <= 20 && o.FirstRetryDelay > TimeSpan.Zero && o.Timeout > TimeSpan.Zero,
                "Notifications:MaxAttempts must be from 1 to 20, and Notifications:FirstRetryDelay and Timeout positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<NodeIdentity>();
        services.TryAddSingleton<IJobDispatcher, HangfireJobDispatcher>();
        services.AddSingleton<SecretCipher>();
        services.AddSingleton<BuildLog>();
        services.AddSingleton<ArtifactCollector>();
        services.AddSingleton<Builders.BuilderPool>();
        services.AddSingleton<ScratchSpace>();
        services.AddSingleton<ScratchSweep>();
        services.AddSingleton<StageSlots>();
        services.AddSingleton<LocalStages>(); // starts nothing unless the worker role runs it
        services.AddHostedService(sp => sp.GetRequiredService<ScratchSweep>());
        services.AddSingleton<ContainerSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<ContainerSweep>());

        services.AddScoped<BuildLifecycle>();
        services.AddScoped<StageLifecycle>();
        services.AddScoped<PublicationLifecycle>();
        services.AddScoped<DeliveryLifecycle>();
        services.AddScoped<LeaseWatch>();
        services.AddScoped<Leases>();
        services.AddScoped<BuildScheduler>();
        services.AddScoped<Reproducibility.Reproductions>();
        services.AddScoped<VerificationRun>();
        services.AddScoped<BuildDeletion>();
        services.AddScoped<UnreferencedBlobs>();
        services.AddScoped<BuildSubmission>();
        services.AddScoped<StageExecutor>();
        services.AddScoped<InputPlacer>();
        services.AddScoped<StageJob>();
        services.AddScoped<PublicationService>();
        services.AddScoped<PublicationJob>();
        services.AddScoped<TriggerService>();
        services.AddScoped<WebhookReceiver>();
        services.AddScoped<SpecFileJob>();
        services.AddSingleton<Notifications.NotificationSender>();
        services.AddScoped<Notifications.NotificationLifecycle>();
        services.AddScoped<Notifications.BuildReports>();
        services.AddScoped<Notifications.NotificationJob>();
        services.AddScoped<SecretService>();
        services.AddScoped<Reconciler>();
        services.AddScoped<EngineHousekeeping>();
        services.AddScoped<Builders.BuilderCachePrune>();
        services.AddScoped<RetentionSweep>();
        // after the storage provider's registration (the host adds storage first): its store is wrapped to be measured
        services.AddHybridBuildInstruments();
        return services;
    }

    /// <summary>
    /// The worker role: this node's heartbeat, its Hangfire servers (one per kind of work, each with its own worker count,
    /// so publications cannot hold up stages nor stages publications; one for housekeeping so long builds cannot hold up
    /// recovery; one for retention so a long sweep cannot either) and the recurring sweeps. Call it on nodes that run
    /// background work.
    /// </summary>
    public static IServiceCollection AddHybridBuildWorker(this IServiceCollection services)
    {
        services.AddHostedService<NodeHeartbeat>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalStages>());
        services.AddHostedService<StageOffers>();
        services.AddHostedService<Builders.BuilderMonitor>();
        // Only the maintenance server runs Hangfire's schedulers (recurring and delayed jobs, so also the retries of stages)
        // and its storage upkeep (expiration, counters); the others are lightweight, workers only. Each of those processes
        // polls the database on a thread of its own, and five servers ran five of each, all doing the same.
        foreach (var kind in Enum.GetValues<JobKind>())
            AddServer(services, HangfireJobDispatcher.QueueOf(kind), w => w.ConcurrencyOf(kind), o =>
            {
                o.CancellationCheckInterval = TimeSpan.FromSeconds(1);
                o.IsLightweightServer = true;
            });
        // the reconciler's schedule is every few seconds: this server looks for due recurring jobs (and retries) that often
        AddServer(services, HangfireJobDispatcher.MaintenanceQueue, _ => 1, o => o.SchedulePollingInterval = TimeSpan.FromSeconds(2));
        AddServer(services, HangfireJobDispatcher.RetentionQueue, _ => 1, o => o.IsLightweightServer = true);
        return services;
    }

    /// <summary>A Hangfire server of this node for one queue, named after the node and the queue.</summary>
    private static void AddServer(IServiceCollection services, string queue, Func<WorkerOptions, int> workers, Action<BackgroundJobServerOptions> tune) =>
        services.AddHangfireServer((sp, o) =>
        {
            var worker = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WorkerOptions>>().Value;
            o.Queues = [queue];
            o.WorkerCount = workers(worker);
            o.ServerName = sp.GetRequiredService<NodeIdentity>().Name + ":" + queue;
            o.HeartbeatInterval = worker.HeartbeatInterval;
            ServeThroughOutages(o, worker);
            tune(o);
        });

    /// <summary>
    /// A server whose heartbeats stopped for a database outage must not be declared dead when the database is back:
    /// Hangfire would restart it and stop the jobs it runs, which ride the outage out. Dead servers' jobs are found
    /// from their heartbeats instead (<see cref="HangfireJobDispatcher.IsLost"/>), after <see cref="WorkerOptions.NodeTimeout"/>.
    /// </summary>
    private static void ServeThroughOutages(BackgroundJobServerOptions server, WorkerOptions worker)
    {
        server.ServerTimeout = worker.LeaseTimeout + worker.NodeTimeout;
        server.ServerCheckInterval = worker.NodeTimeout;
    }

    /// <summary>
    /// The recurring jobs: the reconciler every few seconds, retention every ten minutes, builders' cache pruning every
    /// fifteen minutes, engine housekeeping hourly.
    /// </summary>
    public static void ScheduleHybridBuildJobs(this IRecurringJobManager recurring)
    {
        recurring.AddOrUpdate<Reconciler>(Reconciler.JobId, HangfireJobDispatcher.MaintenanceQueue, r => r.RunAsync(CancellationToken.None), "*/5 * * * * *");
        recurring.AddOrUpdate<RetentionSweep>(RetentionSweep.JobId, HangfireJobDispatcher.RetentionQueue, r => r.RunAsync(CancellationToken.None), "*/10 * * * *");
        recurring.AddOrUpdate<Builders.BuilderCachePrune>(Builders.BuilderCachePrune.JobId, HangfireJobDispatcher.MaintenanceQueue,
            p => p.RunAsync(CancellationToken.None), "*/15 * * * *");
        recurring.AddOrUpdate<EngineHousekeeping>(EngineHousekeeping.JobId, HangfireJobDispatcher.MaintenanceQueue, h => h.RunAsync(CancellationToken.None), Cron.Hourly());
    }

    /// <summary>How long a job the transport handed out stays invisible to other servers: longer than any stage may run.</summary>
    public static readonly TimeSpan InvisibilityTimeout = TimeSpan.FromHours(3);
}
