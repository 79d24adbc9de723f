using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HybridBuild.Core.Tests;

/// <summary>An HTTP/1.1 server on a loopback port that records each request's head and answers every request the same way.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _serving;

    public LoopbackServer(int status, string body)
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _serving = ServeAsync($"HTTP/1.1 {status} X\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}");
    }

    public int Port { get; }

    /// <summary>The head (request line and headers) of every request received.</summary>
    public ConcurrentQueue<string> Heads { get; } = new();

    private async Task ServeAsync(string answer)
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { return; }
            using (client)
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer) is > 0 and var read)
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                Heads.Enqueue(head.ToString());
                await stream.WriteAsync(Encoding.UTF8.GetBytes(answer));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serving;
    }
}
