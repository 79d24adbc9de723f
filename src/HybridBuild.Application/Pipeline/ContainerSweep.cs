namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Removes verification containers whose run has ended without removing them (its node died mid-run, or was killed
/// before its cleanup), at start-up and then every few minutes: a container of a build of this database whose run no
/// running stage holds. A run that is still going keeps its container; the run that ends removes its own. A container
/// of a build this database does not know may belong to another deployment on the same engine: it goes only once it is
/// older than any stage may live (a build deleted meanwhile).
/// </summary>
internal sealed partial class ContainerSweep(IContainerRunner containers, IDbContextFactory<BuildDbContext> contexts, IOptions<WorkerOptions> options,
    TimeProvider clock, ILogger<ContainerSweep> logger) : PeriodicSweep(TimeSpan.FromMinutes(5), clock)
{
    protected override Task RoundAsync(CancellationToken cancellationToken) => SweepAsync(cancellationToken);

    protected override void RoundFailed(Exception exception) => LogFailed(exception);

    /// <summary>Removes the containers of ended runs; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var removed = await containers.SweepAsync(EndedAsync, cancellationToken);
        if (removed > 0) LogRemoved(removed);
        return removed;
    }

    private async Task<IReadOnlySet<string>> EndedAsync(IReadOnlyList<RunContainer> found, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var buildIds = found.Select(c => c.BuildId).Distinct().ToList();
        var runIds = found.Select(c => c.RunId).Distinct().ToList();
        var known = await db.Builds.Where(b => buildIds.Contains(b.Id)).Select(b => b.Id).ToListAsync(cancellationToken);
        var running = await db.Stages.Where(s => s.Status == StageStatus.Running && s.RunId != null && runIds.Contains(s.RunId.Value))
            .Select(s => s.RunId!.Value).ToListAsync(cancellationToken);
        var before = Clock.GetUtcNow() - options.Value.MaxStageLifetime();
        return found.Where(c => known.Contains(c.BuildId) ? !running.Contains(c.RunId) : c.Created < before).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} verification container(s) whose run had ended")]
    private partial void LogRemoved(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The verification container sweep failed; it tries again later")]
    private partial void LogFailed(Exception exception);
}
