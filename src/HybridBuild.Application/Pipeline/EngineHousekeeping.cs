namespace HybridBuild.Application.Pipeline;

/// <summary>A recurring job that removes what builds kept in the engine once its keep time has passed.</summary>
internal sealed partial class EngineHousekeeping(IEngineMaintenance engine, ILogger<EngineHousekeeping> logger)
{
    public const string JobId = "engine-housekeeping";

    [DisableConcurrentExecution(timeoutInSeconds: 60), AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var removed = await engine.PruneAsync(cancellationToken);
        if (removed > 0) LogPruned(removed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} image tag(s) that builds kept past Engine:Docker:KeepImagesFor")]
    private partial void LogPruned(int count);
}
