namespace HybridBuild.Application.Builders;

/// <summary>
/// The recurring job that prunes each builder's BuildKit cache to its configured size (Engine:Builders:N:CacheKeepStorageMiB,
/// or Engine:Native:CacheKeepStorageMiB for the <c>default</c> builder). Records a running build holds are never removed,
/// so it runs alongside builds. A builder that is down is skipped and one whose prune fails is left for the next run; the
/// job goes on with the others. Runs on one node at a time (<see cref="DisableConcurrentExecutionAttribute"/>): two at once
/// would only prune the same daemons twice.
/// </summary>
internal sealed partial class BuilderCachePrune(BuilderPool pool, ILogger<BuilderCachePrune> logger)
{
    public const string JobId = "builder-cache-prune";

    /// <summary>As long as <see cref="BuilderMonitor"/> waits for an answer: a daemon that takes longer counts as down.</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Prunes every builder that has a limit; returns the bytes removed.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60), AutomaticRetry(Attempts = 0)]
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        var freed = 0L;
        foreach (var builder in pool.All)
        {
            if (builder.Cache is not { } limit) continue;
            if (builder.Engine is not IBuildCache cache)
            {
                LogNotPrunable(builder.Name, builder.Engine.Name);
                continue;
            }
            freed += await PruneAsync(builder, cache, limit, cancellationToken);
        }
        return freed;
    }

    private async Task<long> PruneAsync(Builder builder, IBuildCache cache, CacheLimit limit, CancellationToken cancellationToken)
    {
        try
        {
            if (await DownBecauseAsync(builder, cancellationToken) is { } reason)
            {
                LogSkipped(builder.Name, reason);
                return 0;
            }
            var pruned = await cache.PruneCacheAsync(limit, cancellationToken);
            if (pruned.Records > 0) LogPruned(builder.Name, pruned.Records, pruned.Bytes >> 20, limit.KeepBytes >> 20);
            return pruned.Bytes;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(e, builder.Name);
            return 0;
        }
    }

    /// <summary>Why the builder counts as down now, or null when it answers.</summary>
    private async Task<string?> DownBecauseAsync(Builder builder, CancellationToken cancellationToken)
    {
        using var check = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        check.CancelAfter(CheckTimeout);
        try
        {
            var state = await pool.CheckAsync(builder, check.Token);
            return state.Up ? null : state.Description;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {CheckTimeout.TotalSeconds:0} s";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned builder {Builder}'s cache: removed {Records} record(s), {FreedMiB} MiB, to keep under {KeepMiB} MiB")]
    private partial void LogPruned(string builder, int records, long freedMiB, long keepMiB);

    [LoggerMessage(Level = LogLevel.Information, Message = "Builder {Builder} is down, its cache is pruned once it answers: {Reason}")]
    private partial void LogSkipped(string builder, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning builder {Builder}'s cache failed; the next run tries again")]
    private partial void LogFailed(Exception exception, string builder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Builder {Builder} has a cache limit, but its {Engine} engine does not prune its cache")]
    private partial void LogNotPrunable(string builder, string engine);
}
