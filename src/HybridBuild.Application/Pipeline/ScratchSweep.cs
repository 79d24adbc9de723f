namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Removes what a node that stopped without cleaning up left in the work directory, at start-up and then every hour:
/// stage-run folders and spec-file checkouts that no running stage or delivery holds, and upload spool files, once they
/// are older than a stage may live (<see cref="WorkerOptions.MaxStageLifetime"/>). The age spares the scratch space of
/// another node sharing the directory, and of a run ended without its executor having stopped; only names
/// <see cref="ScratchSpace"/> makes are touched, so a work directory set to a folder holding other files loses none.
/// The blob store's temporaries of that age go too (<see cref="SweepBlobTemporariesAsync"/>): a stage's export streams
/// there, and a node killed mid-write leaves one behind.
/// </summary>
internal sealed partial class ScratchSweep(ScratchSpace scratch, IDbContextFactory<BuildDbContext> contexts, IBlobStore blobs, IOptions<WorkerOptions> options,
    TimeProvider clock, ILogger<ScratchSweep> logger) : PeriodicSweep(TimeSpan.FromHours(1), clock)
{
    protected override async Task RoundAsync(CancellationToken cancellationToken)
    {
        await SweepAsync(cancellationToken);
        await SweepBlobTemporariesAsync(cancellationToken);
    }

    protected override void RoundFailed(Exception exception) => LogFailed(exception);

    /// <summary>Removes what is left over; returns how many folders and files it removed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(scratch.Root)) return 0;
        var before = (Clock.GetUtcNow() - options.Value.MaxStageLifetime()).UtcDateTime;
        var old = Directory.EnumerateDirectories(scratch.Root).Where(d => Directory.GetLastWriteTimeUtc(d) < before).ToList();
        var runs = old.Select(d => (Path: d, Run: ScratchSpace.RunOf(d))).Where(d => d.Run is not null).ToList();
        var checkouts = old.Select(d => (Path: d, Delivery: ScratchSpace.DeliveryOf(d))).Where(d => d.Delivery is not null).ToList();

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var runIds = runs.Select(r => r.Run!.Value).ToList();
        var running = await db.Stages.Where(s => s.Status == StageStatus.Running && s.RunId != null && runIds.Contains(s.RunId.Value))
            .Select(s => s.RunId!.Value).ToListAsync(cancellationToken);
        var deliveryIds = checkouts.Select(c => c.Delivery!.Value).ToList();
        var reading = await db.TriggerDeliveries.Where(d => d.Outcome == DeliveryOutcome.Running && deliveryIds.Contains(d.Id))
            .Select(d => d.Id).ToListAsync(cancellationToken);

        var leftOver = runs.Where(r => !running.Contains(r.Run!.Value)).Select(r => r.Path)
            .Concat(checkouts.Where(c => !reading.Contains(c.Delivery!.Value)).Select(c => c.Path))
            // a spool file is written as it is received, so only one a request stopped with is this old
            .Concat(scratch.UploadFiles().Where(f => File.GetLastWriteTimeUtc(f) < before))
            .ToList();
        var removed = leftOver.Count(ScratchSpace.Delete);
        if (removed > 0) LogRemoved(removed, scratch.Root);
        return removed;
    }

    /// <summary>
    /// Removes the blob store's temporaries started longer ago than a stage may live (no write of a running stage or
    /// upload is that old); returns how many. Every node sweeps the shared store; a temporary removed twice is no error.
    /// </summary>
    public async Task<int> SweepBlobTemporariesAsync(CancellationToken cancellationToken)
    {
        var removed = await blobs.DeleteTemporariesAsync(Clock.GetUtcNow() - options.Value.MaxStageLifetime(), cancellationToken);
        if (removed > 0) LogRemovedTemporaries(removed);
        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} temporary blob(s) that writes which never finished left in blob storage")]
    private partial void LogRemovedTemporaries(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} left-over folder(s) and file(s) from the work directory {Root}")]
    private partial void LogRemoved(int count, string root);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sweep the work directory; trying again in an hour")]
    private partial void LogFailed(Exception exception);
}
