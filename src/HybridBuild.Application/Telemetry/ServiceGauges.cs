using System.Diagnostics.Metrics;
using System.Linq.Expressions;
using Hangfire.Storage;

namespace HybridBuild.Application.Telemetry;

/// <summary>
/// What the service holds right now, read when Prometheus scrapes: work queued and running per kind (our tables, the
/// truth), Hangfire's job states and queue lengths (the transport), and each builder's state and load. The database
/// reads are a handful of counts, taken at most once per <see cref="MaxAge"/> however often and by however many
/// scrapers this node is asked; a read that fails leaves those series out until the next one.
/// Series: hybridbuild_queue_depth, hybridbuild_hangfire_jobs, hybridbuild_hangfire_queue_length, hybridbuild_builder_up,
/// hybridbuild_builder_solves, hybridbuild_builder_utilization_ratio.
/// </summary>
internal sealed partial class ServiceGauges
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private static readonly string[] Queues = [.. Enum.GetValues<JobKind>().Select(HangfireJobDispatcher.QueueOf),
        HangfireJobDispatcher.MaintenanceQueue, HangfireJobDispatcher.RetentionQueue];

    private readonly IDbContextFactory<BuildDbContext> _contexts;
    private readonly JobStorage _jobs;
    private readonly BuilderPool _builders;
    private readonly TimeProvider _clock;
    private readonly ILogger<ServiceGauges> _logger;
    private readonly Lock _gate = new();
    private Snapshot _snapshot = Snapshot.Empty;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public ServiceGauges(IMeterFactory meters, IDbContextFactory<BuildDbContext> contexts, JobStorage jobs, BuilderPool builders, TimeProvider clock,
        ILogger<ServiceGauges> logger)
    {
        (_contexts, _jobs, _builders, _clock, _logger) = (contexts, jobs, builders, clock, logger);
        var meter = meters.Create(HybridBuildTelemetry.Name);
        meter.CreateObservableGauge("hybridbuild.queue.depth", () => Current().Depth, "{item}",
            "Work per kind (stage, publication, specFile, notification) and state (queued, running), across all nodes.");
        meter.CreateObservableGauge("hybridbuild.hangfire.jobs", () => Current().JobStates, "{job}",
            "Hangfire's jobs per state (enqueued, scheduled, processing, succeeded, failed, deleted), across all nodes.");
        meter.CreateObservableGauge("hybridbuild.hangfire.queue.length", () => Current().QueueLengths, "{job}",
            "Jobs waiting in each Hangfire queue, across all nodes.");
        meter.CreateObservableGauge("hybridbuild.builder.up", () => Builders(s => s.Up ? 1 : 0), "",
            "1 while this node finds the builder answering, 0 while it is marked down.");
        meter.CreateObservableGauge("hybridbuild.builder.solves", () => PerBuilder(_builders.All, n => Current().Running.GetValueOrDefault(n)), "{solve}",
            "Stages running on each builder, across all nodes.");
        meter.CreateObservableGauge("hybridbuild.builder.utilization", Utilization, "1",
            "Running stages over the builder's MaxSolves, across all nodes (builders with a MaxSolves only).");
    }

    private IEnumerable<Measurement<int>> Builders(Func<BuilderState, int> value) =>
        _builders.States().Select(s => new Measurement<int>(value(s), Tag("builder", s.Name)));

    private IEnumerable<Measurement<double>> Utilization()
    {
        var running = Current().Running;
        var limited = _builders.All.Where(b => b.MaxSolves != int.MaxValue).ToDictionary(b => b.Name, b => b.MaxSolves);
        return PerBuilder(limited.Keys, n => running.GetValueOrDefault(n) / (double)limited[n]);
    }

    private static IEnumerable<Measurement<T>> PerBuilder<T>(IEnumerable<Builder> builders, Func<string, T> value) where T : struct =>
        PerBuilder(builders.Select(b => b.Name), value);

    private static IEnumerable<Measurement<T>> PerBuilder<T>(IEnumerable<string> names, Func<string, T> value) where T : struct =>
        names.Select(n => new Measurement<T>(value(n), Tag("builder", n)));

    private Snapshot Current()
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (now - _readAt < MaxAge) return _snapshot;
            _readAt = now;
            try
            {
                _snapshot = Read();
            }
            catch (Exception e)
            {
                _snapshot = Snapshot.Empty;
                LogUnread(e.GetBaseException().Message);
            }
            return _snapshot;
        }
    }

    private Snapshot Read()
    {
        using var db = _contexts.CreateDbContext();
        // a scrape waits for this read: a database that does not answer costs it seconds, not the scrape's whole timeout
        db.Database.SetCommandTimeout(TimeSpan.FromSeconds(5));
        List<Measurement<int>> depth =
        [
            .. Depth(JobKind.Stage, db.Stages, s => s.Status, StageStatus.Queued, StageStatus.Running),
            .. Depth(JobKind.Publication, db.Publications, p => p.Status, PublicationStatus.Queued, PublicationStatus.Running),
            .. Depth(JobKind.SpecFile, db.TriggerDeliveries, d => d.Outcome, DeliveryOutcome.Queued, DeliveryOutcome.Running),
            .. Depth(JobKind.Notification, db.Notifications, n => n.Status, NotificationStatus.Pending, NotificationStatus.Sending),
        ];
        var running = db.Stages.Where(s => s.Status == StageStatus.Running && s.Builder != null)
            .GroupBy(s => s.Builder!).Select(g => new { g.Key, Count = g.Count() }).ToDictionary(g => g.Key, g => g.Count);

        var monitoring = _jobs.GetMonitoringApi();
        var stats = monitoring.GetStatistics();
        List<Measurement<long>> states =
        [
            State(stats.Enqueued, "enqueued"), State(stats.Scheduled, "scheduled"), State(stats.Processing, "processing"),
            State(stats.Succeeded, "succeeded"), State(stats.Failed, "failed"), State(stats.Deleted, "deleted"),
        ];
        var lengths = Queues.Select(q => new Measurement<long>(monitoring.EnqueuedCount(q), Tag("queue", q))).ToList();
        return new Snapshot(depth, states, lengths, running);
    }

    /// <summary>The kind's records waiting (<paramref name="queued"/>) and being worked on (<paramref name="running"/>): one grouped count.</summary>
    private static IEnumerable<Measurement<int>> Depth<T, TStatus>(JobKind kind, IQueryable<T> records, Expression<Func<T, TStatus>> status,
        TStatus queued, TStatus running) where TStatus : struct, Enum
    {
        TStatus[] states = [queued, running];
        var counts = records.GroupBy(status).Where(g => states.Contains(g.Key)).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionary(g => g.Key, g => g.Count);
        return [Measure(queued, "queued"), Measure(running, "running")];

        Measurement<int> Measure(TStatus value, string state) =>
            new(counts.GetValueOrDefault(value), Tag("kind", EnumNames<JobKind>.NameOf(kind)), Tag("state", state));
    }

    private static Measurement<long> State(long count, string state) => new(count, Tag("state", state));

    private static KeyValuePair<string, object?> Tag(string name, string? value) => new(name, value);

    private sealed record Snapshot(
        IReadOnlyList<Measurement<int>> Depth, IReadOnlyList<Measurement<long>> JobStates, IReadOnlyList<Measurement<long>> QueueLengths,
        IReadOnlyDictionary<string, int> Running)
    {
        public static readonly Snapshot Empty = new([], [], [], new Dictionary<string, int>());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The queue and builder gauges could not be read ({Reason}); they are left out of metrics until the next read")]
    private partial void LogUnread(string reason);
}
