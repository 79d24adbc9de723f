using System.Collections.Concurrent;
using HybridBuild.BuildKit.Client.Session.Hosting;
using Microsoft.AspNetCore.Builder;

namespace HybridBuild.BuildKit.Client.Session;

/// <summary>
/// Serves build sessions: a private Kestrel whose only transport is the session tunnels, speaking HTTP/2 gRPC to
/// the daemon (the daemon is the client on the tunnel). Private, so FileSync, Auth and Secrets are never reachable
/// through the application's own listeners.
/// </summary>
internal sealed partial class SessionHost : IAsyncDisposable
{
    // After ct fires, Kestrel normally lets go of the aborted connection at once; this only bounds a stuck handler.
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly SessionConnectionListener _listener;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TunnelConnection, byte> _connections = new();
    private int _disposed;

    private SessionHost(WebApplication app, SessionConnectionListener listener, ILogger logger)
    {
        _app = app;
        _listener = listener;
        _logger = logger;
    }

    /// <summary>How many tunnels are being served.</summary>
    public int ActiveSessions => _connections.Count;

    /// <summary>Starts the private server; it serves nothing until a tunnel is handed to <see cref="ServeAsync"/>.</summary>
    public static async Task<SessionHost> StartAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var transport = new SessionTransportFactory();
        var app = SessionApplication.Build(transport, loggerFactory);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new SessionHost(app, transport.Listener, loggerFactory.CreateLogger<SessionHost>());
    }

    /// <summary>
    /// Serves <paramref name="session"/> on <paramref name="tunnel"/> until the daemon closes the tunnel or
    /// <paramref name="cancellationToken"/> fires, then closes the tunnel. Ending by the token is the normal way for a
    /// solve to end its session, so it completes rather than throwing.
    /// </summary>
    public Task ServeAsync(Stream tunnel, BuildSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return ServeConnectionAsync(tunnel, session, cancellationToken);
    }

    /// <summary>Serves a tunnel; without a session only for tests, which prove such a connection is refused.</summary>
    internal async Task ServeConnectionAsync(Stream tunnel, BuildSession? session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = new TunnelConnection(tunnel, session, _logger);
        _connections[connection] = 0;
        try
        {
            connection.Start();
            if (!_listener.TryPush(connection))
            {
                throw new ObjectDisposedException(nameof(SessionHost), "The session host has stopped.");
            }

            try
            {
                await connection.Completion.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                connection.Abort(new ConnectionAbortedException("The build session was ended by its owner."));
                await WaitForKestrelAsync(connection);
            }
        }
        finally
        {
            // Idempotent: closes the tunnel and waits for the pumps, whether or not Kestrel already did.
            await connection.DisposeAsync();
            _connections.TryRemove(connection, out _);
        }
    }

    private async Task WaitForKestrelAsync(TunnelConnection connection)
    {
        try
        {
            await connection.Completion.WaitAsync(AbortGrace);
        }
        catch (TimeoutException)
        {
            LogSlowAbort(_logger, connection.ConnectionId, AbortGrace);
        }
    }

    /// <summary>Aborts the tunnels still served and stops the private server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Abort(new ConnectionAbortedException("The session host is stopping."));
        }

        using (var timeout = new CancellationTokenSource(StopTimeout))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
        await _listener.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session connection {ConnectionId} was still busy {Grace} after being aborted")]
    private static partial void LogSlowAbort(ILogger logger, string connectionId, TimeSpan grace);
}
