namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>Incoming half: the background loop that reads every frame the peer sends.</summary>
internal sealed partial class Http2Tunnel
{
    private async Task RunFrameLoopAsync()
    {
        // We never raise SETTINGS_MAX_FRAME_SIZE, so no valid frame is larger than the default.
        byte[] header = new byte[Http2Frame.HeaderSize];
        byte[] payload = new byte[Http2Frame.DefaultMaxFrameSize];
        bool inHeaderBlock = false;
        string reason;
        try
        {
            while (true)
            {
                await _connection.ReadExactlyAsync(header, _lifetime.Token).ConfigureAwait(false);
                Http2Frame frame = Http2Frame.Parse(header);
                if (frame.Length > payload.Length)
                {
                    throw new Http2ProtocolException($"a {frame.Type} frame of {frame.Length} bytes exceeds the maximum frame size");
                }
                await _connection.ReadExactlyAsync(payload.AsMemory(0, frame.Length), _lifetime.Token).ConfigureAwait(false);
                // A header block must be contiguous (RFC 9113 §6.10).
                if (inHeaderBlock != (frame.Type == Http2FrameType.Continuation))
                {
                    throw new Http2ProtocolException($"unexpected {frame.Type} frame around a header block");
                }
                if (frame.Type is Http2FrameType.Headers or Http2FrameType.Continuation)
                {
                    inHeaderBlock = !frame.Has(Http2Frame.EndHeaders);
                }
                CheckLength(frame);
                string? end = await HandleFrameAsync(frame, payload.AsMemory(0, frame.Length)).ConfigureAwait(false);
                if (end is not null)
                {
                    reason = end;
                    break;
                }
            }
        }
        catch (EndOfStreamException)
        {
            reason = "the connection was closed";
        }
        catch (Exception) when (_lifetime.IsCancellationRequested)
        {
            reason = "the tunnel was disposed";
        }
        catch (Http2ProtocolException e)
        {
            reason = $"protocol error: {e.Message}";
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            reason = $"reading from the connection failed: {e.Message}";
        }
        catch (Exception e)
        {
            // Whatever it was, the loop must end the tunnel, or writers and Dispose would wait forever.
            reason = $"the frame reader failed: {e.Message}";
        }
        End(reason);
        _remoteDone.TrySetResult();
        // Buffered data stays readable; after it, reads return 0. Only this loop ever writes to the pipe.
        await _inbound.Writer.CompleteAsync().ConfigureAwait(false);
    }

    // Fixed-size frames (RFC 9113 §6.4, 6.7, 6.8, 6.9): a wrong length is a FRAME_SIZE_ERROR.
    private static void CheckLength(Http2Frame frame)
    {
        bool valid = frame.Type switch
        {
            Http2FrameType.RstStream or Http2FrameType.WindowUpdate => frame.Length == 4,
            Http2FrameType.Ping => frame.Length == 8,
            Http2FrameType.GoAway => frame.Length >= 8,
            _ => true,
        };
        if (!valid)
        {
            throw new Http2ProtocolException($"a {frame.Type} frame of {frame.Length} bytes");
        }
    }

    /// <summary>Handles one frame; returns why the stream ended, or null to keep reading.</summary>
    private async ValueTask<string?> HandleFrameAsync(Http2Frame frame, ReadOnlyMemory<byte> payload)
    {
        switch (frame.Type)
        {
            case Http2FrameType.Data:
                await OnDataAsync(frame, payload).ConfigureAwait(false);
                return null;
            case Http2FrameType.Headers:
                // The response headers and trailers are never needed; only whether they end the stream.
                if (frame.StreamId == StreamId && frame.Has(Http2Frame.EndStream))
                {
                    await EndRemoteAsync().ConfigureAwait(false);
                }
                return null;
            case Http2FrameType.Settings:
                await OnSettingsAsync(frame, payload).ConfigureAwait(false);
                return null;
            case Http2FrameType.Ping:
                if (!frame.Has(Http2Frame.Ack))
                {
                    byte[] pong = new byte[Http2Frame.HeaderSize + 8];
                    new Http2Frame(8, Http2FrameType.Ping, Http2Frame.Ack, 0).WriteTo(pong);
                    payload.Span[..8].CopyTo(pong.AsSpan(Http2Frame.HeaderSize));
                    await WriteFramesAsync(pong).ConfigureAwait(false);
                }
                return null;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdate(frame, BinaryPrimitives.ReadUInt32BigEndian(payload.Span) & 0x7FFF_FFFF);
                return null;
            case Http2FrameType.RstStream when frame.StreamId == StreamId:
                return $"the peer reset the stream with {Http2Frame.DescribeError(BinaryPrimitives.ReadUInt32BigEndian(payload.Span))}";
            case Http2FrameType.GoAway:
                return OnGoAway(payload.Span);
            case Http2FrameType.PushPromise:
                throw new Http2ProtocolException("PUSH_PROMISE although push was disabled");
            default:
                return null; // PRIORITY, frames for other streams and unknown types carry nothing for us (§5.5)
        }
    }

    private async ValueTask OnDataAsync(Http2Frame frame, ReadOnlyMemory<byte> payload)
    {
        ReadOnlyMemory<byte> data = payload;
        if (frame.Has(Http2Frame.Padded))
        {
            int padding = payload.Length > 0 ? payload.Span[0] : throw new Http2ProtocolException("a padded DATA frame without a pad length");
            if (padding >= payload.Length)
            {
                throw new Http2ProtocolException("DATA padding longer than the frame");
            }
            data = payload[1..^padding];
        }
        bool ours = frame.StreamId == StreamId && !_remoteEnded;
        if (!ours || _disposed != 0)
        {
            // Nobody will read this (another stream, or we are closing), but it used window: credit it now.
            await CreditAsync(frame.Length, includeStream: ours).ConfigureAwait(false);
        }
        else
        {
            // Padding is flow-controlled too (RFC 9113 §6.1) but never reaches the reader: credit it now.
            await CreditAsync(frame.Length - data.Length, includeStream: true).ConfigureAwait(false);
            if (!data.IsEmpty)
            {
                await _inbound.Writer.WriteAsync(data).ConfigureAwait(false);
            }
        }
        if (ours && frame.Has(Http2Frame.EndStream))
        {
            await EndRemoteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask EndRemoteAsync()
    {
        _remoteEnded = true;
        await _inbound.Writer.CompleteAsync().ConfigureAwait(false);
        _remoteDone.TrySetResult();
    }

    private async ValueTask OnSettingsAsync(Http2Frame frame, ReadOnlyMemory<byte> payload)
    {
        if (frame.Has(Http2Frame.Ack))
        {
            return;
        }
        if (frame.StreamId != 0 || payload.Length % 6 != 0)
        {
            throw new Http2ProtocolException("a malformed SETTINGS frame");
        }
        for (int i = 0; i < payload.Length; i += 6)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(payload.Span[i..]);
            uint value = BinaryPrimitives.ReadUInt32BigEndian(payload.Span[(i + 2)..]);
            ApplySetting(id, value);
        }
        byte[] ack = new byte[Http2Frame.HeaderSize];
        new Http2Frame(0, Http2FrameType.Settings, Http2Frame.Ack, 0).WriteTo(ack);
        await WriteFramesAsync(ack).ConfigureAwait(false);
        SignalWindow();
        _peerSettings.TrySetResult();
    }

    // A graceful GOAWAY that still covers stream 1 lets the call finish; anything else ends it now.
    private static string? OnGoAway(ReadOnlySpan<byte> payload)
    {
        int lastStreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF);
        uint errorCode = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
        if (errorCode == 0 && lastStreamId >= StreamId)
        {
            return null;
        }
        string debug = payload.Length > 8 ? $" ({Encoding.UTF8.GetString(payload[8..])})" : "";
        return $"the peer closed the connection with GOAWAY {Http2Frame.DescribeError(errorCode)}{debug}";
    }

    private sealed class Http2ProtocolException(string message) : Exception(message);
}
