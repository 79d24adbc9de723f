namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>
/// Kestrel's transport for <see cref="SessionEndPoint"/>: instead of accepting sockets it hands Kestrel the tunnels
/// pushed into its listener. Being a selector lets it coexist with the socket transport Kestrel registers anyway.
/// </summary>
internal sealed class SessionTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private SessionConnectionListener? _listener;

    /// <summary>The listener Kestrel bound; available once the host has started.</summary>
    public SessionConnectionListener Listener =>
        Volatile.Read(ref _listener) ?? throw new InvalidOperationException("The session transport has not been bound.");

    public bool CanBind(EndPoint endpoint) => endpoint is SessionEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not SessionEndPoint)
        {
            throw new NotSupportedException($"The session transport cannot bind {endpoint}.");
        }

        var listener = new SessionConnectionListener(endpoint);
        Volatile.Write(ref _listener, listener);
        return ValueTask.FromResult<IConnectionListener>(listener);
    }
}
