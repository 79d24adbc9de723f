using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>
/// One session tunnel as a Kestrel connection. Two pumps copy between the tunnel stream and Kestrel's pipes, so the
/// connection can be stopped with a token even when the stream ignores it, and so Kestrel's small segments leave as
/// larger writes (over <c>Control/Session</c> every write becomes one message).
/// </summary>
internal sealed partial class TunnelConnection : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature
{
    /// <summary>The connection item that carries the <see cref="BuildSession"/>.</summary>
    public const string SessionItem = "HybridBuild.BuildKit.Client.Session";

    private const int ReadSize = 64 * 1024;
    private const int MaxCoalescedWrite = 256 * 1024;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);
    private static long s_lastId;

    private readonly Stream _tunnel;
    private readonly ILogger _logger;
    private readonly Pipe _inbound;
    private readonly Pipe _outbound;
    // Never disposed: Kestrel may still register on ConnectionClosed after the connection is gone, and it holds no timer.
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _tunnelClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private int _tunnelClosing;

    public TunnelConnection(Stream tunnel, BuildSession? session, ILogger logger)
    {
        _tunnel = tunnel;
        _logger = logger;
        // Back-pressure: stop reading the tunnel while Kestrel has 1 MiB unprocessed, and stop Kestrel writing while
        // 1 MiB waits for the tunnel.
        var options = new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false);
        _inbound = new Pipe(options);
        _outbound = new Pipe(options);

        ConnectionId = $"session-{Interlocked.Increment(ref s_lastId)}";
        Transport = new DuplexPipe(_inbound.Reader, _outbound.Writer);
        Items = new ConnectionItems();
        if (session is not null)
        {
            Items[SessionItem] = session;
        }

        ConnectionClosed = _closed.Token;
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    /// <summary>Completes once the connection has been disposed, by Kestrel when it is done with it or by the host.</summary>
    public Task Completion => _disposed.Task;

    /// <summary>Starts copying; call once, before handing the connection to Kestrel.</summary>
    public void Start()
    {
        _receiving = Task.Run(ReceiveAsync);
        _sending = Task.Run(SendAsync);
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        // Kestrel passes null when it aborts a connection that is already closing (from its ConnectionClosed callback).
        LogAborted(_logger, ConnectionId, abortReason?.Message ?? "the connection closed");
        SignalClosed();
        _ = CloseTunnelAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        // Kestrel is done with both pipes (or never got them); completing its ends again is harmless.
        await Transport.Input.CompleteAsync();
        await Transport.Output.CompleteAsync();
        try
        {
            // Let the last frames Kestrel wrote (GOAWAY) reach the peer, unless the peer stopped reading.
            await _sending.WaitAsync(DrainTimeout);
        }
        catch (TimeoutException)
        {
        }

        SignalClosed();
        await CloseTunnelAsync();
        await Task.WhenAll(_receiving, _sending);
        _disposed.TrySetResult();
    }

    private void SignalClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException e)
        {
            // A callback registered by Kestrel or a call failed; the connection is closing regardless.
            LogTunnelEnded(_logger, ConnectionId, e.Message);
        }
    }

    /// <summary>Disposes the tunnel once; this also unblocks a pump stuck in a stream that ignores cancellation.</summary>
    private Task CloseTunnelAsync()
    {
        if (Interlocked.Exchange(ref _tunnelClosing, 1) == 0)
        {
            _ = DisposeTunnelAsync();
        }

        return _tunnelClosed.Task;
    }

    private async Task DisposeTunnelAsync()
    {
        try
        {
            await _tunnel.DisposeAsync();
        }
        catch (Exception e)
        {
            LogTunnelEnded(_logger, ConnectionId, e.Message);
        }
        finally
        {
            _tunnelClosed.TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session connection {ConnectionId} aborted: {Reason}")]
    private static partial void LogAborted(ILogger logger, string connectionId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session tunnel {ConnectionId} ended: {Reason}")]
    private static partial void LogTunnelEnded(ILogger logger, string connectionId, string reason);

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
