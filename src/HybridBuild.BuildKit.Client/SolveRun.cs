using System.Runtime.ExceptionServices;
using HybridBuild.BuildKit.Client.Transport;
using Wire = HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Client;

/// <summary>
/// One build: the session, the Solve call and the Status stream run side by side, as the daemon expects (it waits
/// a few seconds for the session to appear). Whatever happens, all three are finished when <see cref="RunAsync"/> returns.
/// </summary>
internal sealed partial class SolveRun(
    Wire.Control.ControlClient control, IDaemonConnector connector, SessionHost host, BuildKitClientOptions options, ILogger logger)
{
    public async Task<SolveResult> RunAsync(SolveRequest request, ISolveProgress? progress, CancellationToken cancellationToken)
    {
        var exports = SolveRequestMapper.OrderExports(request.Exports);
        var session = SolveRequestMapper.CreateSession(request, exports, options);
        var reference = Guid.NewGuid().ToString("N");
        var solveRequest = SolveRequestMapper.CreateSolveRequest(reference, request, session, exports);
        LogStarting(logger, reference, session.Id, solveRequest.Exporters.Count);

        using var sessionLifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var solveLifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sessionTask = ServeSessionAsync(session, sessionLifetime.Token);
        using var call = control.SolveAsync(solveRequest, cancellationToken: solveLifetime.Token);
        var statusTask = new StatusFollower(control, logger).FollowAsync(reference, progress, call.ResponseAsync, cancellationToken);
        try
        {
            var response = await AwaitSolveAsync(call.ResponseAsync, sessionTask, solveLifetime);
            if (session.ExportFailure is { } failure)
            {
                throw new BuildKitSolveException(failure.Message, failure);
            }
            return new SolveResult(response.ExporterResponse.ToDictionary());
        }
        catch (RpcException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The build was cancelled.", e, cancellationToken);
        }
        catch (RpcException e) when (BuildKitClient.IsConnectionFailure(e))
        {
            throw BuildKitClient.ConnectionFailure(e, connector.Address);
        }
        catch (RpcException e)
        {
            // A failed export usually surfaces as a vaguer daemon error ("context canceled"); the export's own reason is the useful one.
            throw session.ExportFailure is { } failure
                ? new BuildKitSolveException(failure.Message, new AggregateException(failure, e))
                : new BuildKitSolveException(SolveFailure(e.Status.Detail), e);
        }
        finally
        {
            await sessionLifetime.CancelAsync();
            await QuietlyAsync(sessionTask, "session");
            await QuietlyAsync(statusTask, "status");
            LogFinished(logger, reference);
        }
    }

    /// <summary>The daemon's words, worded as the Go client (buildx, buildctl) reports them.</summary>
    internal static string SolveFailure(string detail) =>
        detail.StartsWith("failed to solve", StringComparison.Ordinal) ? detail : "failed to solve: " + detail;

    /// <summary>The Solve's answer; a session that fails first (refused tunnel, ...) cancels the Solve and is the error.</summary>
    private static async Task<Wire.SolveResponse> AwaitSolveAsync(
        Task<Wire.SolveResponse> solve, Task session, CancellationTokenSource solveLifetime)
    {
        if (await Task.WhenAny(solve, session) == session && session.IsFaulted)
        {
            await solveLifetime.CancelAsync();
            await solve.ContinueWith(_ => { }, TaskScheduler.Default);
            var error = session.Exception!.GetBaseException();
            if (error is BuildKitConnectionException)
            {
                ExceptionDispatchInfo.Throw(error);
            }
            throw new BuildKitSolveException($"The build session failed: {error.Message}", error);
        }
        return await solve;
    }

    private async Task ServeSessionAsync(BuildSession session, CancellationToken cancellationToken)
    {
        var tunnel = await connector.OpenSessionTunnelAsync(session, cancellationToken);
        await host.ServeAsync(tunnel, session, cancellationToken);
    }

    private async Task QuietlyAsync(Task task, string what)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // Already reported through the solve's outcome (or irrelevant once the solve has finished).
            LogTeardown(logger, what, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Build {Reference} starts with session {SessionId} and {Exporters} exporter(s)")]
    private static partial void LogStarting(ILogger logger, string reference, string sessionId, int exporters);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Build {Reference} finished; session and progress closed")]
    private static partial void LogFinished(ILogger logger, string reference);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The build's {What} ended with an error after the solve")]
    private static partial void LogTeardown(ILogger logger, string what, Exception exception);
}
