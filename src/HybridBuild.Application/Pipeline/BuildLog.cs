namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Appends to a build's log in PostgreSQL. Appends for one build are serialised by a transaction-scoped
/// advisory lock, so event ids of a build grow in commit order and a reader resuming after an id never
/// misses an event committed later with a smaller id. Under the same lock the build's stored log text is counted
/// against <see cref="WorkerOptions.MaxLogBytes"/>: the line that would pass it is replaced by one marker line, every
/// later line of the build is dropped, and the build is marked <see cref="Build.LogTruncated"/>.
/// </summary>
internal sealed partial class BuildLog(IDbContextFactory<BuildDbContext> contexts, IOptions<WorkerOptions> options, TimeProvider clock, ILogger<BuildLog> logger)
{
    public Task StageAsync(Guid buildId, string stage, StageStatus status, string? error, CancellationToken cancellationToken) =>
        AppendAsync(buildId, [new LogEvent
        {
            BuildId = buildId, Stage = stage, Kind = LogEventKind.Stage, Time = clock.GetUtcNow(),
            Data = JsonSerializer.Serialize(new StageEventData(status, error?.Replace('\0', '\uFFFD')), ApiJson.Options),
        }], cancellationToken);

    /// <summary>A line the service itself writes into a stage's log (not one from the engine).</summary>
    public Task NoteAsync(Guid buildId, string stage, string text, CancellationToken cancellationToken) =>
        AppendAsync(buildId, [new LogEvent
        {
            BuildId = buildId, Stage = stage, Kind = LogEventKind.Log, Stream = 2, Time = clock.GetUtcNow(), Data = text,
        }], cancellationToken);

    public async Task AppendAsync(Guid buildId, IReadOnlyCollection<LogEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // the lock, the insert and the commit are one unit: a transient failure retries all of it
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey(buildId)})", ct);
            var kept = await WithinLimitAsync(db, buildId, events, ct);
            foreach (var e in kept) e.Id = 0; // a retried insert is assigned new ids
            db.LogEvents.AddRange(kept);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }, cancellationToken);
    }

    /// <summary>
    /// The events to store of <paramref name="events"/>, and the build's count of log bytes moved on by them (inside the
    /// append's transaction, under its lock). Only log lines count and are dropped: step and stage events are small,
    /// bounded by the spec, and say how the build went.
    /// </summary>
    private async Task<List<LogEvent>> WithinLimitAsync(BuildDbContext db, Guid buildId, IReadOnlyCollection<LogEvent> events, CancellationToken cancellationToken)
    {
        var stored = await db.Builds.Where(b => b.Id == buildId).Select(b => new { b.LogBytes, b.LogTruncated }).FirstOrDefaultAsync(cancellationToken);
        if (stored is null) return [.. events];
        var max = options.Value.MaxLogBytes;
        var (kept, added, truncated) = (new List<LogEvent>(events.Count), 0L, stored.LogTruncated);
        foreach (var e in events)
        {
            if (e.Kind != LogEventKind.Log) { kept.Add(e); continue; }
            if (truncated) continue;
            var bytes = Encoding.UTF8.GetByteCount(e.Data);
            if (stored.LogBytes + added + bytes <= max)
            {
                kept.Add(e);
                added += bytes;
                continue;
            }
            truncated = true;
            kept.Add(new LogEvent
            {
                BuildId = buildId, Stage = e.Stage, Kind = LogEventKind.Log, Stream = 2, Time = clock.GetUtcNow(),
                Data = $"log truncated: this build's log reached {max} bytes (Worker:MaxLogBytes); its further lines are dropped",
            });
        }
        if (added > 0 || truncated != stored.LogTruncated)
            await db.Builds.Where(b => b.Id == buildId).ExecuteUpdateAsync(u => u.SetProperty(b => b.LogBytes, b => b.LogBytes + added)
                .SetProperty(b => b.LogTruncated, truncated), cancellationToken);
        return kept;
    }

    /// <summary>How long a running stage's log waits for the database in one outage: as long as the stage itself keeps going without it.</summary>
    public TimeSpan OutageTolerance => options.Value.LeaseTimeout;

    /// <summary>
    /// Appends a running stage's lines, waiting out a database outage until <paramref name="giveUpAt"/>, so its log survives
    /// one; <paramref name="waiting"/> is called when a write fails for an outage.
    /// </summary>
    public Task AppendRidingOutAsync(Guid buildId, string stage, IReadOnlyCollection<LogEvent> events, DateTimeOffset giveUpAt, Action waiting) =>
        DatabaseOutage.RideOutAsync(ct => AppendAsync(buildId, events, ct), giveUpAt - clock.GetUtcNow(), e =>
        {
            waiting();
            LogWaiting(buildId, stage, e.GetBaseException().Message);
        }, CancellationToken.None);

    public LogSink OpenSink(Guid buildId, string stage) => new(this, buildId, stage, clock);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write log lines of stage {Stage} of build {BuildId}; they are dropped")]
    public partial void WriteFailed(Exception exception, Guid buildId, string stage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database is unavailable; holding log lines of stage {Stage} of build {BuildId} ({Reason})")]
    private partial void LogWaiting(Guid buildId, string stage, string reason);

    private static long LockKey(Guid buildId) => BitConverter.ToInt64(buildId.ToByteArray(), 0);
}
