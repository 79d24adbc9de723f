namespace HybridBuild.Application.Jobs;

/// <summary>What a run learns when it reports: it still holds its work, lost it to another run, or is to stop (its build was cancelled).</summary>
public enum LeaseState { Held, Lost, Cancelled }

/// <summary>
/// Beside a run of background work: reports every <see cref="WorkerOptions.HeartbeatInterval"/> (and looks for a
/// cancellation in between) and stops the run when its work was taken or cancelled. A database that does not answer
/// does not end the watch: the run goes on, and only a lease that could not be renewed for
/// <see cref="WorkerOptions.LeaseTimeout"/> less <see cref="WorkerOptions.NodeTimeout"/> stops it, before a sweep may
/// hand the work to another run.
/// </summary>
internal sealed partial class LeaseWatch(IOptions<WorkerOptions> options, TimeProvider clock, ILogger<LeaseWatch> logger)
{
    /// <summary>Why the watch stopped the run, or null while it has not.</summary>
    public LeaseState? StoppedFor { get; private set; }

    /// <param name="report">Renews the lease when its argument is true (else only looks) and says what became of the work.</param>
    public async Task KeepAsync(string what, Func<bool, CancellationToken, Task<LeaseState>> report, CancellationTokenSource run, CancellationToken stop)
    {
        var o = options.Value;
        var lastBeat = clock.GetUtcNow();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(o.CancellationPollInterval, clock, stop);
                if (clock.GetUtcNow() - lastBeat > o.LeaseTimeout - o.NodeTimeout) { await StopAsync(LeaseState.Lost, run); return; }
                var now = clock.GetUtcNow();
                var renew = now - lastBeat >= o.HeartbeatInterval;
                var state = await report(renew, stop);
                if (state != LeaseState.Held) { await StopAsync(state, run); return; }
                if (renew) lastBeat = now;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogReportFailed(e, what); // tried again at the next poll; the lease check above gives up in time
            }
        }
    }

    private async Task StopAsync(LeaseState state, CancellationTokenSource run)
    {
        StoppedFor = state;
        await run.CancelAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report on {What}; trying again")]
    private partial void LogReportFailed(Exception exception, string what);
}
