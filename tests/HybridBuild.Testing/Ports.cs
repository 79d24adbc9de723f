using System.Net;
using System.Net.Sockets;

namespace HybridBuild.Testing;

public static class Ports
{
    /// <summary>A loopback port nothing listens on now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something listens on the loopback port, or fails naming <paramref name="what"/>.</summary>
    public static async Task WaitListeningAsync(int port, string what)
    {
        for (var i = 0; i < 600; i++) // about a minute: a Node.js emulator starts slowly on a loaded machine
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new InvalidOperationException($"{what} did not listen on port {port}");
    }
}
