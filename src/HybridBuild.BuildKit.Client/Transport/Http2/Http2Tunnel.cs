using System.IO.Pipelines;

namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>
/// The one gRPC stream (id 1) of a dedicated HTTP/2 connection, seen as a duplex byte stream of BytesMessage
/// payloads. One reader and any number of writers (serialized) may work at the same time; a background loop
/// reads frames so that writes, PINGs and window updates never wait for the application to read.
/// This file: lifetime and the Stream surface. Writing and the frame loop are in the other parts.
/// </summary>
internal sealed partial class Http2Tunnel : Stream
{
    private const int StreamId = 1;

    /// <summary>How long Dispose waits for a writer in progress before closing without END_STREAM.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly Stream _connection;
    private readonly CancellationTokenSource _lifetime = new();
    // Unbounded on purpose: our receive window already bounds what the peer may send ahead of the reader.
    private readonly Pipe _inbound = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private readonly GrpcBytesMessageReader _decoder;
    private readonly TaskCompletionSource _peerSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _remoteDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _frameLoop = Task.CompletedTask;
    private string? _endReason;     // set once when the tunnel can no longer carry writes
    private volatile bool _remoteEnded;
    private int _disposed;

    private Http2Tunnel(Stream connection, int receiveWindow)
    {
        _connection = connection;
        _receiveWindow = receiveWindow;
        // Credit in quarters of the window: the peer always has at least three quarters left to send.
        _creditThreshold = Math.Max(1, receiveWindow / 4);
        _decoder = new GrpcBytesMessageReader(_inbound.Reader);
    }

    /// <summary>Sends the preface, SETTINGS and the request HEADERS; returns once the peer's SETTINGS arrived.</summary>
    public static async Task<Http2Tunnel> OpenAsync(Stream connection, byte[] headerBlock, int receiveWindow, CancellationToken ct)
    {
        var tunnel = new Http2Tunnel(connection, receiveWindow);
        try
        {
            using (ct.UnsafeRegister(static t => ((Http2Tunnel)t!)._lifetime.Cancel(), tunnel))
            {
                // The preface must precede anything the loop might send (a SETTINGS ACK), so write it first.
                await tunnel.WriteFramesAsync(tunnel.BuildOpening(headerBlock)).ConfigureAwait(false);
                tunnel._frameLoop = Task.Run(tunnel.RunFrameLoopAsync, CancellationToken.None);
                await tunnel._peerSettings.Task.WaitAsync(ct).ConfigureAwait(false);
            }
            return tunnel;
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            await tunnel.DisposeAsync().ConfigureAwait(false);
            throw new OperationCanceledException(ct);
        }
        catch
        {
            await tunnel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override bool CanRead => _disposed == 0;
    public override bool CanWrite => _disposed == 0;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    // Every write is sent before WriteAsync completes; there is nothing to flush.
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads payload bytes; 0 once the peer ended the stream, reset it, or the tunnel was disposed.</summary>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        int read = await _decoder.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        await CreditAsync(_decoder.TakeConsumed(), includeStream: true).ConfigureAwait(false);
        if (read == 0 && _decoder.InsideMessage && Volatile.Read(ref _endReason) is null)
        {
            throw new IOException("The peer ended the Control/Session stream in the middle of a gRPC message.");
        }
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Half-closes our side (END_STREAM) if still open and, like grpc-go's CloseSend-then-drain, gives the peer a
    /// moment to finish its side (closing at once would abort its request before it saw our END_STREAM); then
    /// closes the connection and stops the loop. Data arriving meanwhile is dropped but credited.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            if (await SendEndStreamAsync().ConfigureAwait(false))
            {
                await _remoteDone.Task.WaitAsync(CloseGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            End("the tunnel was disposed");
            _lifetime.Cancel();
            // Closing the connection is what unblocks a frame read on streams that ignore cancellation.
            await _connection.DisposeAsync().ConfigureAwait(false);
            await _frameLoop.ConfigureAwait(false);
            _lifetime.Dispose();
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Marks the tunnel unusable for writes and wakes any writer waiting for window.</summary>
    private void End(string reason)
    {
        lock (_windowLock)
        {
            _endReason ??= reason;
        }
        SignalWindow();
        if (_peerSettings.TrySetException(new IOException($"The HTTP/2 session call ended before it started: {reason}.")))
        {
            _ = _peerSettings.Task.Exception; // observed here; OpenAsync may already have stopped waiting
        }
    }

    private IOException Ended() => new($"The Control/Session stream has ended: {Volatile.Read(ref _endReason)}.");
}
