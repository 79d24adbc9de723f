namespace HybridBuild.BuildKit.Tests.Http2;

/// <summary>The session call on the wire: the Docker Engine's embedded BuildKit behind <c>POST /grpc</c>.</summary>
public sealed class DockerdSessionCallTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dockerd_accepts_the_session_call_and_dials_back_through_the_tunnel()
    {
        using var timeout = new CancellationTokenSource(Patience);
        Stream connection = await UpgradeToH2cAsync(timeout.Token);
        string sessionId = "http2test" + Guid.NewGuid().ToString("N")[..16];

        await using Stream tunnel = await Http2SessionCall.OpenAsync(connection, "localhost", secure: false,
        [
            KeyValuePair.Create("X-Docker-Expose-Session-Uuid", sessionId),
            KeyValuePair.Create("X-Docker-Expose-Session-Sharedkey", "http2-test"),
            KeyValuePair.Create("X-Docker-Expose-Session-Grpc-Method", "/moby.filesync.v1.FileSync/DiffCopy"),
            KeyValuePair.Create("X-Docker-Expose-Session-Grpc-Method", "/grpc.health.v1.Health/Check"),
        ], timeout.Token);
        // The daemon registers the session by dialling a gRPC client back to us, inside the tunnel.
        byte[] dialled = new byte[24];
        await tunnel.ReadExactlyAsync(dialled, timeout.Token);

        Assert.Equal("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Encoding.ASCII.GetString(dialled));
    }

    // Just enough of the Engine API's h2c upgrade for this test; the client's own connector lives in Transport/.
    private static async Task<Stream> UpgradeToH2cAsync(CancellationToken ct)
    {
        string host = Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "unix:///var/run/docker.sock";
        Assert.True(host.StartsWith("unix://", StringComparison.Ordinal), $"this test needs a unix-socket DOCKER_HOST, not '{host}'");
        string path = host["unix://".Length..];
        Assert.True(File.Exists(path), $"no Docker Engine socket at {path}: start dockerd (or set DOCKER_HOST) to run this test");

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
        var stream = new NetworkStream(socket, ownsSocket: true);
        await stream.WriteAsync("POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"u8.ToArray(), ct);

        // Byte by byte, so nothing after the head (HTTP/2 from the daemon) is consumed here.
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one, ct);
            head.Append((char)one[0]);
        }
        Assert.StartsWith("HTTP/1.1 101", head.ToString());
        return stream;
    }
}
