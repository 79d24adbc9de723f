using System.Text.Json;
using HybridBuild.Application.Contracts;
using HybridBuild.Core.Domain;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;

namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Appends to a build's log in PostgreSQL. Appends for one build are serialised by a transaction-scoped
/// advisory lock, so event ids of a build grow in commit order and a reader resuming after an id never
/// misses an event committed later with a smaller id.
/// </summary>
internal sealed partial class BuildLog(IDbContextFactory<BuildDbContext> contexts, TimeProvider clock, ILogger<BuildLog> logger)
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockKey(buildId)})", cancellationToken);
        db.LogEvents.AddRange(events);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public LogSink OpenSink(Guid buildId, string stage) => new(this, buildId, stage, clock);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write log lines of stage {Stage} of build {BuildId} (attempt {Attempt})")]
    public partial void WriteFailed(Exception exception, Guid buildId, string stage, int attempt);

    private static long LockKey(Guid buildId) => BitConverter.ToInt64(buildId.ToByteArray(), 0);
}
