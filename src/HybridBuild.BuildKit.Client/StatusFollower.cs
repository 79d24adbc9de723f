using Wire = HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Client;

/// <summary>
/// Follows <c>Control/Status</c> for one build and hands every message to the caller's progress sink. Progress is
/// best effort: its failures are logged, never fail the build.
/// </summary>
internal sealed partial class StatusFollower(Wire.Control.ControlClient control, ILogger logger)
{
    // The daemon may report trailing logs after Solve returns; like the Go client, stop after 5 s without any.
    private static readonly TimeSpan IdleAfterSolve = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan NotFoundRetryDelay = TimeSpan.FromMilliseconds(250);
    private const int MaxNotFoundRetries = 8;

    /// <summary>Reads until the stream ends, <paramref name="solve"/> has finished and the stream idles, or <paramref name="cancellationToken"/>.</summary>
    public async Task FollowAsync(string reference, ISolveProgress? progress, Task solve, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = solve.ContinueWith(_ => RestartIdleTimer(idle), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        for (var attempt = 0; !idle.IsCancellationRequested; attempt++)
        {
            try
            {
                using var call = control.Status(new Wire.StatusRequest { Ref = reference }, cancellationToken: idle.Token);
                await foreach (var response in call.ResponseStream.ReadAllAsync(idle.Token))
                {
                    if (solve.IsCompleted)
                    {
                        RestartIdleTimer(idle);
                    }
                    Deliver(progress, response);
                }
                return;
            }
            // The job registers when Solve reaches the daemon; a Status call that got there first may miss it.
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && !solve.IsCompleted && attempt < MaxNotFoundRetries)
            {
                await Task.Delay(NotFoundRetryDelay, idle.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled || idle.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RpcException e)
            {
                LogStatusFailed(logger, reference, e.Status.StatusCode, e.Status.Detail);
                return;
            }
        }
    }

    private static void RestartIdleTimer(CancellationTokenSource idle)
    {
        try
        {
            idle.CancelAfter(IdleAfterSolve);
        }
        catch (ObjectDisposedException)
        {
            // The follower already finished.
        }
    }

    private void Deliver(ISolveProgress? progress, Wire.StatusResponse response)
    {
        if (progress is null)
        {
            return;
        }
        try
        {
            progress.OnStatus(SolveStatusMapper.ToSolveStatus(response));
        }
        catch (Exception e)
        {
            LogProgressFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Progress of build {Reference} stopped: {Code} {Detail}")]
    private static partial void LogStatusFailed(ILogger logger, string reference, StatusCode code, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A progress callback failed; the build goes on")]
    private static partial void LogProgressFailed(ILogger logger, Exception exception);
}
