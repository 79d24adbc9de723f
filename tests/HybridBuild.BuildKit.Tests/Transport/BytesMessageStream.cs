using HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>The daemon's end of a Control/Session tunnel: the bytes inside the BytesMessages, as a stream.</summary>
internal sealed class BytesMessageStream(
    IAsyncStreamReader<BytesMessage> incoming, IServerStreamWriter<BytesMessage> outgoing, CancellationToken callEnded) : DuplexTestStream
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ReadOnlyMemory<byte> _leftover;

    /// <summary>Completes when the client ends its side of the tunnel.</summary>
    public Task Closed => _closed.Task;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_leftover.IsEmpty)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, callEnded);
            bool more;
            try
            {
                more = await incoming.MoveNext(linked.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException or IOException)
            {
                more = false;
            }
            if (!more)
            {
                _closed.TrySetResult();
                return 0;
            }
            _leftover = incoming.Current.Data.Memory;
        }
        var count = Math.Min(buffer.Length, _leftover.Length);
        _leftover[..count].CopyTo(buffer);
        _leftover = _leftover[count..];
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await outgoing.WriteAsync(new BytesMessage { Data = ByteString.CopyFrom(buffer.Span) }, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override ValueTask DisposeAsync()
    {
        _closed.TrySetResult();
        return base.DisposeAsync();
    }
}
