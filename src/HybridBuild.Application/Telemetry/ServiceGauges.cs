using System.Diagnostics.Metrics;
using System.Linq.Expressions;
using Hangfire.Storage;

namespace HybridBuild.Application.Telemetry;

/// <summary>
/// What the service holds right now, read when Prometheus scrapes: work queued and running per kind (our tables, the
/// truth), Hangfire's job states and queue lengths (the transport), and each builder's state and load. The database
/// reads are a handful of counts, taken in the background at most once per <see cref="MaxAge"/> however often and by
/// however many scrapers this node is asked, and only while someone scrapes. A scrape waits up to <see cref="ScrapeWait"/>
/// for a read it started, then answers with what it has: a slow database costs it that at most, never the scrape's
/// timeout. Figures older than <see cref="MaxStale"/> (the database has not answered since) are left out, not shown as now.
/// Series: hybridbuild_queue_depth, hybridbuild_hangfire_jobs, hybridbuild_hangfire_queue_length, hybridbuild_builder_up,
/// hybridbuild_builder_solves, hybridbuild_builder_utilization_ratio.
/// </summary>
internal sealed partial class ServiceGauges
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan MaxStale = TimeSpan.FromMinutes(1);

    private static readonly string[] Queues = [.. Enum.GetValues<JobKind>().Select(HangfireJobDispatcher.QueueOf),
        HangfireJobDispatcher.MaintenanceQueue, HangfireJobDispatcher.RetentionQueue];

    private readonly IDbContextFactory<BuildDbContext> _contexts;
    private readonly JobStorage _jobs;
    private readonly BuilderPool _builders;
    private readonly TimeProvider _clock;
    private readonly ILogger<ServiceGauges> _logger;
    private readonly Lock _gate = new();
    private Snapshot _snapshot = Snapshot.Empty;
    private DateTimeOffset _snapshotAt = DateTimeOffset.MinValue;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;
    private Task _reading = Task.CompletedTask;
    private bool _waitedOut;

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
            "1 while this node finds the builder answering, 0 while it is marked down; on nodes that check builders (workers) only.");
        meter.CreateObservableGauge("hybridbuild.builder.solves", () => PerBuilder(_builders.All, n => Current().Running.GetValueOrDefault(n)), "{solve}",
            "Stages running on each builder, across all nodes.");
        meter.CreateObservableGauge("hybridbuild.builder.utilization", Utilization, "1",
            "Running stages over the builder's MaxSolves, across all nodes (builders with a MaxSolves only).");
    }

    /// <summary>The builders this node has checked: an API-only node checks none, and has nothing to say of them.</summary>
    private IEnumerable<Measurement<int>> Builders(Func<BuilderState, int> value) =>
        _builders.States().Where(s => s.CheckedAt is not null).Select(s => new Measurement<int>(value(s), Tag("builder", s.Name)));

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
        Task? wait = null;
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            if (now - _snapshotAt < MaxAge) return _snapshot;
            if (_reading.IsCompleted && now - _readAt >= MaxAge)
            {
                (_readAt, _reading, _waitedOut) = (now, Task.Run(Refresh), false);
            }
            // one scrape asks each gauge in turn: only the first waits for a slow read
            if (!_reading.IsCompleted && !_waitedOut) wait = _reading;
        }
        if (wait is not null && !wait.Wait(ScrapeWait))
            lock (_gate) _waitedOut |= ReferenceEquals(wait, _reading);
        lock (_gate) return _clock.GetUtcNow() - _snapshotAt <= MaxStale ? _snapshot : Snapshot.Empty;
    }

    private void Refresh()
    {
        try
        {
            var snapshot = Read();
            lock (_gate) (_snapshot, _snapshotAt) = (snapshot, _clock.GetUtcNow());
        }
        catch (Exception e)
        {
            LogUnread(e.GetBaseException().Message);
        }
    }

    private Snapshot Read()
    {
        using var db = _contexts.CreateDbContext();
        // a read that hangs would hold back every later one
        db.Database.SetCommandTimeout(TimeSpan.FromSeconds(10));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The queue and builder gauges could not be read ({Reason}); the last figures are served until they are a minute old")]
    private partial void LogUnread(string reason);
}
