namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>
/// A unix-socket proxy in front of a daemon that counts the connections it forwards and, unless told otherwise, drops
/// every connection opening a Control/Session call (our session client writes the path as a plain literal): the daemon
/// then answers Control but refuses sessions.
/// </summary>
internal sealed class SessionDroppingProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"proxy-{Guid.NewGuid():N}.sock");
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly bool _dropSessions;
    private int _open;

    public SessionDroppingProxy(string daemonSocket, bool dropSessions = true)
    {
        _dropSessions = dropSessions;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_path));
        _listener.Listen();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                _ = ServeAsync(client, daemonSocket);
            }
        });
    }

    public string Address => "unix://" + _path;

    /// <summary>Client connections forwarded to the daemon and not yet closed by either side.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    private async Task ServeAsync(Socket client, string daemonSocket)
    {
        using var _ = client;
        var first = new byte[64 * 1024];
        var read = await client.ReceiveAsync(first, _stop.Token);
        // The session client sends preface, SETTINGS and HEADERS in one write.
        if (read == 0 || (_dropSessions && Encoding.ASCII.GetString(first, 0, read).Contains("/moby.buildkit.v1.Control/Session")))
        {
            return;
        }
        Interlocked.Increment(ref _open);
        using var counted = new SessionCounter(() => Interlocked.Decrement(ref _open));
        using var daemon = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await daemon.ConnectAsync(new UnixDomainSocketEndPoint(daemonSocket), _stop.Token);
        await daemon.SendAsync(first.AsMemory(0, read), _stop.Token);
        await using var up = new NetworkStream(client);
        await using var down = new NetworkStream(daemon);
        await Task.WhenAny(up.CopyToAsync(down, _stop.Token), down.CopyToAsync(up, _stop.Token))
            .ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        File.Delete(_path);
    }
}
