namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Removes verification containers whose run has ended without removing them (its node died mid-run, or was killed
/// before its cleanup), at start-up and then every few minutes: every container labelled <see cref="EngineLabels.Run"/>
/// whose run no running stage holds. A run that is still going keeps its container; the run that ends removes its own.
/// </summary>
internal sealed partial class ContainerSweep(IContainerRunner containers, IDbContextFactory<BuildDbContext> contexts, TimeProvider clock,
    ILogger<ContainerSweep> logger) : PeriodicSweep(TimeSpan.FromMinutes(5), clock)
{
    protected override Task RoundAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);

    protected override void RoundFailed(Exception exception) => LogFailed(exception);

    /// <summary>Removes the containers of ended runs; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var removed = await containers.SweepAsync(RunningAsync, cancellationToken);
        if (removed > 0) LogRemoved(removed);
        return removed;
    }

    private async Task<IReadOnlySet<Guid>> RunningAsync(IReadOnlyCollection<Guid> runs, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = runs.ToList();
        var running = await db.Stages.Where(s => s.Status == StageStatus.Running && s.RunId != null && ids.Contains(s.RunId.Value))
            .Select(s => s.RunId!.Value).ToListAsync(cancellationToken);
        return running.ToHashSet();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} verification container(s) whose run had ended")]
    private partial void LogRemoved(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The verification container sweep failed; it tries again later")]
    private partial void LogFailed(Exception exception);
}
