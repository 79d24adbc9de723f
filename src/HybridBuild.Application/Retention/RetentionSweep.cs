namespace HybridBuild.Application.Retention;

/// <summary>
/// The recurring job that deletes builds past their status's age (<see cref="RetentionOptions"/>), pinned ones excepted.
/// Each goes through <see cref="BuildDeletion"/>, as DELETE /builds/{id} does: its records in one transaction, then each
/// of its blobs only when no artifact record references it, under the blob locks a committing stage takes too. The
/// build is held only while it is still what the sweep found, so one pinned or retried meanwhile is kept. Each build
/// is deleted on its own: one that fails (a publication of it still running, an outage of the blob store) is left for
/// the next sweep, and the sweep goes on with the others. Runs on one node at a time (<see cref="DisableConcurrentExecutionAttribute"/>);
/// two at once would only race for the same conditional deletions. It also removes step timings (<see cref="StepTiming"/>)
/// that no uncached solve has refreshed for 30 days, so that table stays as large as the steps still in use.
/// </summary>
internal sealed partial class RetentionSweep(BuildLifecycle builds, BuildDeletion deletion, BuildDbContext db, IOptions<RetentionOptions> options,
    TimeProvider clock, ILogger<RetentionSweep> logger)
{
    public const string JobId = "retention";
    private static readonly TimeSpan StepTimingAge = TimeSpan.FromDays(30);

    /// <summary>Deletes what has expired; returns how many builds it deleted.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60), AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        var now = clock.GetUtcNow();
        foreach (var (status, age) in options.Value.Ages())
        {
            var before = now - age;
            var skipped = new List<Guid>();
            while (await builds.ExpiredAsync(status, before, skipped, options.Value.BatchSize, cancellationToken) is { Count: > 0 } batch)
            {
                foreach (var id in batch)
                {
                    if (await DeleteAsync(id, status, before, cancellationToken)) deleted++;
                    else skipped.Add(id);
                }
            }
        }
        if (deleted > 0) LogDeleted(deleted);
        // the timings that estimate what a cached step saved: one no solve ran uncached for a long time has no say any more
        await db.StepTimings.Where(t => t.RecordedAt < now - StepTimingAge).ExecuteDeleteAsync(cancellationToken);
        return deleted;
    }

    /// <summary>True when the build was deleted; false when it was kept (it changed meanwhile, or its deletion failed).</summary>
    private async Task<bool> DeleteAsync(Guid id, BuildStatus status, DateTimeOffset before, CancellationToken cancellationToken)
    {
        try
        {
            return await deletion.DeleteExpiredAsync(id, status, before, cancellationToken);
        }
        catch (ConflictException e)
        {
            LogKept(id, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(e, id);
        }
        db.ChangeTracker.Clear();
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {Count} build(s)")]
    private partial void LogDeleted(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention keeps build {BuildId} for now: {Reason}")]
    private partial void LogKept(Guid buildId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention could not delete build {BuildId}; the next sweep tries again")]
    private partial void LogFailed(Exception exception, Guid buildId);
}
