namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>The two copy loops between the tunnel stream and Kestrel's pipes.</summary>
internal sealed partial class TunnelConnection
{
    private async Task ReceiveAsync()
    {
        var writer = _inbound.Writer;
        try
        {
            while (true)
            {
                var read = await _tunnel.ReadAsync(writer.GetMemory(ReadSize), _closed.Token);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                var flushed = await writer.FlushAsync(_closed.Token);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            // Whatever ends the tunnel (the peer, a cancelled token, a failed stream) ends the connection; Kestrel is
            // told by a plain end of input, so it does not report an abnormal end.
            LogTunnelEnded(_logger, ConnectionId, e.Message);
        }
        finally
        {
            await writer.CompleteAsync();
            SignalClosed();
        }
    }

    private async Task SendAsync()
    {
        var reader = _outbound.Reader;
        byte[]? coalesce = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_closed.Token);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    coalesce ??= ArrayPool<byte>.Shared.Rent(MaxCoalescedWrite);
                    await WriteAsync(buffer, coalesce);
                    await _tunnel.FlushAsync(_closed.Token);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            LogTunnelEnded(_logger, ConnectionId, e.Message);
        }
        finally
        {
            if (coalesce is not null)
            {
                ArrayPool<byte>.Shared.Return(coalesce);
            }

            await reader.CompleteAsync();
            SignalClosed();
        }
    }

    private async Task WriteAsync(ReadOnlySequence<byte> buffer, byte[] coalesce)
    {
        if (buffer.IsSingleSegment)
        {
            await _tunnel.WriteAsync(buffer.First, _closed.Token);
            return;
        }

        var filled = 0;
        foreach (var segment in buffer)
        {
            var remaining = segment;
            while (!remaining.IsEmpty)
            {
                var take = Math.Min(remaining.Length, coalesce.Length - filled);
                remaining.Span[..take].CopyTo(coalesce.AsSpan(filled));
                filled += take;
                remaining = remaining[take..];
                if (filled == coalesce.Length)
                {
                    await _tunnel.WriteAsync(coalesce.AsMemory(0, filled), _closed.Token);
                    filled = 0;
                }
            }
        }

        if (filled > 0)
        {
            await _tunnel.WriteAsync(coalesce.AsMemory(0, filled), _closed.Token);
        }
    }
}
