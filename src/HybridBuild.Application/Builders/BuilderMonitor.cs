using Microsoft.Extensions.Hosting;

namespace HybridBuild.Application.Builders;

/// <summary>Checks every builder each <see cref="WorkerOptions.BuilderCheckInterval"/> on worker nodes, so a down builder is seen, and seen back.</summary>
internal sealed class BuilderMonitor(BuilderPool pool, IOptions<WorkerOptions> options, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.WhenAll(pool.All.Select(async builder =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                try { await pool.CheckAsync(builder, timeout.Token); }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            }));
            try { await Task.Delay(options.Value.BuilderCheckInterval, clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
