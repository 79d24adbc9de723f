using Microsoft.Extensions.Hosting;

namespace HybridBuild.Application.Pipeline;

/// <summary>A sweep hosted on every node: a round at start-up and then every <paramref name="interval"/>; a failed round is reported and the next one tries again.</summary>
internal abstract class PeriodicSweep(TimeSpan interval, TimeProvider clock) : BackgroundService
{
    /// <summary>The time the sweep goes by (also the ages it compares).</summary>
    protected TimeProvider Clock { get; } = clock;

    protected abstract Task RoundAsync(CancellationToken cancellationToken);

    protected abstract void RoundFailed(Exception exception);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RoundAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                RoundFailed(e);
            }
            try { await Task.Delay(interval, Clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
