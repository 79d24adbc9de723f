using Microsoft.Extensions.Hosting;

namespace HybridBuild.Application.Nodes;

/// <summary>
/// Writes this node's heartbeat every <see cref="WorkerOptions.HeartbeatInterval"/>. Work held by a node whose
/// heartbeat is older than <see cref="WorkerOptions.NodeTimeout"/> is taken over by the reconciler.
/// </summary>
internal sealed partial class NodeHeartbeat(IDbContextFactory<BuildDbContext> contexts, NodeIdentity node, IOptions<WorkerOptions> options,
    TimeProvider clock, ILogger<NodeHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await BeatAsync(stoppingToken);
            try { await Task.Delay(options.Value.HeartbeatInterval, clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    internal async Task BeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = clock.GetUtcNow();
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var updated = await db.Nodes.Where(n => n.Id == node.Id).ExecuteUpdateAsync(u => u.SetProperty(n => n.HeartbeatAt, now), cancellationToken);
            if (updated == 0)
            {
                db.Nodes.Add(new Node { Id = node.Id, Name = node.Name, StartedAt = now, HeartbeatAt = now });
                await db.SaveChangesAsync(cancellationToken);
            }
            node.Reported(now);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (node.HealthySince is not null) LogLost(e.Message);
            node.Lost();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // a clean stop hands over at once: what this node still held is recovered by the next sweep
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.Nodes.Where(n => n.Id == node.Id).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogLost(e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node heartbeat failed: {Reason}; work this node holds is kept running and reported once the database answers")]
    private partial void LogLost(string reason);
}
