namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>How one kind of daemon is reached: connections for the Control channel, and the session tunnel.</summary>
internal interface IDaemonConnector
{
    /// <summary>Where the daemon is, for error messages.</summary>
    BuildKitAddress Address { get; }

    /// <summary>The base address of the Control channel; its host is the HTTP/2 authority.</summary>
    Uri ControlAddress { get; }

    /// <summary>The handler for the Control channel; its connect callback makes every HTTP/2 connection.</summary>
    SocketsHttpHandler CreateControlHandler();

    /// <summary>
    /// Opens the tunnel the daemon runs the session through; the caller serves HTTP/2 on it. The session's
    /// headers (id, shared key, one method per line) are sent as the daemon expects them.
    /// </summary>
    Task<Stream> OpenSessionTunnelAsync(BuildSession session, CancellationToken cancellationToken);
}
