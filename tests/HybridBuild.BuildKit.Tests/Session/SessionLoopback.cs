using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridBuild.BuildKit.Tests.Session;

/// <summary>
/// A session host serving one tunnel, with a grpc-dotnet client playing the daemon on the other end: the daemon is
/// the HTTP/2 client of the session, exactly as on a real tunnel.
/// </summary>
internal sealed class SessionLoopback : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _stop = new();

    private SessionLoopback(SessionHost host, Stream daemonEnd, Task serving, BuildSession? session)
    {
        Host = host;
        DaemonEnd = daemonEnd;
        Serving = serving;
        Session = session;
        var connects = 0;
        var handler = new SocketsHttpHandler
        {
            // The tunnel is one connection; a second connect would mean the client lost it.
            ConnectCallback = (_, _) => Interlocked.Increment(ref connects) == 1
                ? ValueTask.FromResult(daemonEnd)
                : throw new IOException("The tunnel is gone."),
        };
        Channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
    }

    public SessionHost Host { get; }

    public Stream DaemonEnd { get; }

    public GrpcChannel Channel { get; }

    /// <summary>The host's <c>ServeAsync</c> for this tunnel.</summary>
    public Task Serving { get; private set; }

    public BuildSession? Session { get; }

    public CancellationToken Stopping => _stop.Token;

    public static async Task<SessionLoopback> StartAsync(BuildSession? session, ILoggerFactory? loggerFactory = null)
    {
        var host = await SessionHost.StartAsync(loggerFactory ?? NullLoggerFactory.Instance, CancellationToken.None);
        var (daemonEnd, sessionEnd) = InMemoryTunnel.Create();
        var loopback = new SessionLoopback(host, daemonEnd, Task.CompletedTask, session);
        loopback.Serving = session is null
            ? host.ServeConnectionAsync(sessionEnd, null, loopback.Stopping)
            : host.ServeAsync(sessionEnd, session, loopback.Stopping);
        return loopback;
    }

    /// <summary>Ends the session the way a solve does: by cancelling <c>ServeAsync</c>.</summary>
    public Task CancelAsync() => _stop.CancelAsync();

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await DaemonEnd.DisposeAsync();
        await _stop.CancelAsync();
        await Serving.WaitAsync(Patience);
        await Host.DisposeAsync();
        _stop.Dispose();
    }
}
