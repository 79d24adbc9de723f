namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// A TCP gate on a loopback port in front of another: while closed it accepts connections and never answers (a peer
/// that hangs); once opened it forwards new connections to the port behind it. Lets a test catch a node while it waits
/// on a peer.
/// </summary>
public sealed class StallingGate : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private volatile bool _open;
    private int _stalled;

    public StallingGate(int target)
    {
        _target = target;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections the closed gate has held so far.</summary>
    public int Stalled => Volatile.Read(ref _stalled);

    public void Open() => _open = true;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (!_open)
            {
                lock (_held) _held.Add(client);
                Interlocked.Increment(ref _stalled);
                continue;
            }
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                var a = client.GetStream();
                var b = upstream.GetStream();
                await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // either side went away
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_held) _held.ForEach(c => c.Dispose());
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
