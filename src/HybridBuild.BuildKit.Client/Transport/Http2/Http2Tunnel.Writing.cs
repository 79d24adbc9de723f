namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>Outgoing half: messages become DATA frames within the peer's windows; control frames share the socket.</summary>
internal sealed partial class Http2Tunnel
{
    /// <summary>Our DATA frames never exceed this, even if the peer allows more, to keep PINGs and credits prompt.</summary>
    private const int MaxOutboundFrame = 64 * 1024;

    private readonly SemaphoreSlim _writeGate = new(1, 1);   // one message at a time, so messages never interleave
    private readonly SemaphoreSlim _frameGate = new(1, 1);   // one frame at a time on the connection
    private readonly byte[] _frameScratch = new byte[Http2Frame.HeaderSize + MaxOutboundFrame];
    private bool _localEnded;                                 // guarded by _writeGate

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// Sends the bytes as BytesMessages of at most <see cref="GrpcBytesMessage.MaxPayload"/> bytes. A cancellation
    /// after the first frame of a message left resets the stream: the peer would otherwise see a torn message.
    /// </summary>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty)
        {
            return;
        }
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!buffer.IsEmpty)
            {
                ReadOnlyMemory<byte> payload = buffer[..Math.Min(buffer.Length, GrpcBytesMessage.MaxPayload)];
                await SendMessageAsync(payload, cancellationToken).ConfigureAwait(false);
                buffer = buffer[payload.Length..];
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task SendMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[GrpcBytesMessage.MaxPrefixSize];
        int prefixLength = GrpcBytesMessage.WritePrefix(prefix, payload.Length);
        int total = prefixLength + payload.Length;
        int sent = 0;
        try
        {
            while (sent < total)
            {
                if (_localEnded)
                {
                    throw new InvalidOperationException("The tunnel's sending side is already closed.");
                }
                int size = await ReserveSendWindowAsync(total - sent, cancellationToken).ConfigureAwait(false);
                CopyMessageSlice(prefix.AsSpan(0, prefixLength), payload.Span, sent, _frameScratch.AsSpan(Http2Frame.HeaderSize, size));
                new Http2Frame(size, Http2FrameType.Data, 0, StreamId).WriteTo(_frameScratch);
                await WriteFramesAsync(_frameScratch.AsMemory(0, Http2Frame.HeaderSize + size)).ConfigureAwait(false);
                sent += size;
            }
        }
        catch (OperationCanceledException) when (sent > 0)
        {
            await ResetAsync(errorCode: 0x8, "a write was cancelled in the middle of a message").ConfigureAwait(false);
            throw;
        }
    }

    // The message is prefix + payload; a frame carries bytes [offset, offset + destination.Length) of it.
    private static void CopyMessageSlice(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload, int offset, Span<byte> destination)
    {
        if (offset < prefix.Length)
        {
            int n = Math.Min(prefix.Length - offset, destination.Length);
            prefix.Slice(offset, n).CopyTo(destination);
            destination = destination[n..];
            offset = prefix.Length;
        }
        payload.Slice(offset - prefix.Length, destination.Length).CopyTo(destination);
    }

    /// <summary>
    /// Empty DATA with END_STREAM, unless the stream is over or a stuck writer keeps the gate past the grace.
    /// True if it was sent now, so the peer is still expected to finish its side.
    /// </summary>
    private async Task<bool> SendEndStreamAsync()
    {
        if (Volatile.Read(ref _endReason) is not null || !await _writeGate.WaitAsync(CloseGrace).ConfigureAwait(false))
        {
            return false;
        }
        try
        {
            if (!_localEnded && Volatile.Read(ref _endReason) is null)
            {
                _localEnded = true;
                byte[] frame = new byte[Http2Frame.HeaderSize];
                new Http2Frame(0, Http2FrameType.Data, Http2Frame.EndStream, StreamId).WriteTo(frame);
                // One bound for sending END_STREAM and for the peer finishing after it.
                _lifetime.CancelAfter(CloseGrace);
                await WriteFramesAsync(frame).ConfigureAwait(false);
                return !_remoteEnded;
            }
            return false;
        }
        catch (IOException)
        {
            return false; // the connection is already gone; closing it is all that is left to do
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task ResetAsync(uint errorCode, string reason)
    {
        byte[] frame = new byte[Http2Frame.HeaderSize + 4];
        Http2Frame.WriteUInt32Frame(frame, Http2FrameType.RstStream, StreamId, errorCode);
        End(reason);
        try
        {
            await WriteFramesAsync(frame).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Ending locally is what matters; the peer learns it from the closed connection otherwise.
        }
    }

    /// <summary>Writes whole frames atomically. Failures end the tunnel and surface as IOException.</summary>
    private async ValueTask WriteFramesAsync(ReadOnlyMemory<byte> frames)
    {
        try
        {
            // Never the caller's token: a frame cut in half would corrupt the connection for everyone.
            await _frameGate.WaitAsync(_lifetime.Token).ConfigureAwait(false);
            try
            {
                await _connection.WriteAsync(frames, _lifetime.Token).ConfigureAwait(false);
                await _connection.FlushAsync(_lifetime.Token).ConfigureAwait(false);
            }
            finally
            {
                _frameGate.Release();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            End(_disposed != 0 ? "the tunnel was disposed" : $"writing to the connection failed: {e.Message}");
            throw Ended();
        }
    }
}
