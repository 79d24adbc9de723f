using System.Threading.Channels;

namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>Queues tunnels for Kestrel's accept loop; unbinding ends that loop and refuses further tunnels.</summary>
internal sealed class SessionConnectionListener(EndPoint endPoint) : IConnectionListener
{
    private readonly Channel<TunnelConnection> _pending =
        Channel.CreateUnbounded<TunnelConnection>(new UnboundedChannelOptions { SingleReader = true });

    public EndPoint EndPoint { get; } = endPoint;

    /// <summary>Queues a tunnel; false once the listener has been unbound.</summary>
    public bool TryPush(TunnelConnection connection) => _pending.Writer.TryWrite(connection);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await _pending.Reader.WaitToReadAsync(cancellationToken))
            {
                if (_pending.Reader.TryRead(out var connection))
                {
                    return connection;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        // Null tells Kestrel the listener is gone.
        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _pending.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();

        // Tunnels pushed while the host stopped were never accepted: close them so their owners stop waiting.
        while (_pending.Reader.TryRead(out var orphan))
        {
            await orphan.DisposeAsync();
        }
    }
}
