namespace HybridBuild.BuildKit.Tests.Transport;

public sealed class StreamDialerTests
{
    [Fact]
    public async Task A_TCP_connection_probes_an_idle_peer_so_a_vanished_daemon_is_noticed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var dialer = new StreamDialer(BuildKitAddress.Parse($"tcp://127.0.0.1:{port}"), tls: null);

        await using var connection = (NetworkStream)await dialer.ConnectPlainAsync(CancellationToken.None);
        using var accepted = await listener.AcceptSocketAsync();

        Assert.Equal(1, (int)connection.Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.InRange((int)connection.Socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!, 1, 60);
    }
}

public sealed class Ipv6AddressTests
{
    [Fact]
    public async Task A_buildkitd_at_an_IPv6_address_is_reached_on_that_address()
    {
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var client = HybridBuild.BuildKit.Client.BuildKitClient.Create(new HybridBuild.BuildKit.Client.BuildKitClientOptions { Address = $"tcp://[::1]:{port}" });

        var info = client.GetInfoAsync(CancellationToken.None);
        using var accepted = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(30));
        accepted.Close();

        var error = await Assert.ThrowsAsync<HybridBuild.BuildKit.Client.BuildKitConnectionException>(() => info);
        Assert.Contains($"tcp://[::1]:{port}", error.Message);
    }
}
