using System.Net.Sockets;

namespace HybridBuild.Testing;

/// <summary>
/// A Unix socket that forwards every connection to another one (a Docker engine's), until <see cref="Sever"/> cuts every
/// connection and removes the socket: to its clients, the daemon behind it has stopped answering, mid-call or not.
/// </summary>
public sealed class UnixSocketProxy : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _target;
    private readonly CancellationTokenSource _severed = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;

    public UnixSocketProxy(string target)
    {
        _target = target;
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"hb-proxy-{Guid.NewGuid():N}.sock");
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(64);
        _accepting = AcceptAsync();
    }

    public string Path { get; }

    /// <summary>Connections made through the proxy so far.</summary>
    public int Connections { get; private set; }

    private async Task AcceptAsync()
    {
        while (!_severed.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_severed.Token); }
            catch (Exception) { return; }
            var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await upstream.ConnectAsync(new UnixDomainSocketEndPoint(_target), _severed.Token);
            }
            catch (Exception)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }
            lock (_open)
            {
                _open.Add(client);
                _open.Add(upstream);
                Connections++;
            }
            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[81920];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _severed.Token);
                if (read == 0) break;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _severed.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    /// <summary>Cuts every connection and stops listening: new connections are refused, open ones break.</summary>
    public void Sever()
    {
        if (_severed.IsCancellationRequested) return;
        _severed.Cancel();
        _listener.Dispose();
        File.Delete(Path);
        lock (_open)
        {
            foreach (var socket in _open)
            {
                try { socket.Shutdown(SocketShutdown.Both); } catch (Exception) { }
                socket.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Sever();
        await _accepting;
        _severed.Dispose();
    }
}
