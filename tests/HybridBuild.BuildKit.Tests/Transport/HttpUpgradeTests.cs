using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Transport;

public sealed class HttpUpgradeTests
{
    private const string SwitchingProtocols = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

    // What dockerd sends right behind its 101 head: an HTTP/2 SETTINGS frame (empty payload here).
    private static readonly byte[] SettingsFrame = [0, 0, 0, 4, 0, 0, 0, 0, 0];

    [Fact]
    public async Task Bytes_that_arrive_with_the_101_head_are_the_first_bytes_of_the_upgraded_stream()
    {
        var connection = new ScriptedConnection([.. Ascii(SwitchingProtocols), .. SettingsFrame], [42, 43]);

        var upgraded = await HttpUpgrade.UpgradeAsync(connection, "/grpc", "docker", [], CancellationToken.None);

        Assert.Equal([.. SettingsFrame, 42, 43], await ReadToEndAsync(upgraded));
    }

    [Fact]
    public async Task A_head_split_across_reads_is_assembled_before_the_stream_is_handed_over()
    {
        var head = Ascii(SwitchingProtocols);
        var connection = new ScriptedConnection(head[..10], head[10..^3], [.. head[^3..], 7], [8]);

        var upgraded = await HttpUpgrade.UpgradeAsync(connection, "/session", "docker", [], CancellationToken.None);

        Assert.Equal([7, 8], await ReadToEndAsync(upgraded));
    }

    [Fact]
    public async Task A_refusal_carries_the_daemons_own_error_text()
    {
        const string body = "{\"message\":\"session id already exists\"}";
        var connection = new ScriptedConnection(Ascii(
            $"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));

        var error = await UpgradeRefusedAsync(connection, "/session");

        Assert.Contains("409 Conflict", error.Message);
        Assert.Contains("session id already exists", error.Message);
        Assert.DoesNotContain("{\"message\"", error.Message);
        Assert.True(connection.Disposed);
    }

    [Fact]
    public async Task A_refusal_with_a_plain_text_body_split_over_reads_is_reported_whole()
    {
        var connection = new ScriptedConnection(
            Ascii("HTTP/1.1 400 Bad Request\r\nContent-Length: 30\r\n\r\nUpgrade"),
            Ascii(" h2c is required, sorry"));

        var error = await UpgradeRefusedAsync(connection);

        Assert.EndsWith("(400 Bad Request): Upgrade h2c is required, sorry", error.Message);
    }

    [Fact]
    public async Task A_chunked_refusal_is_reported_without_its_chunk_framing()
    {
        var connection = new ScriptedConnection(Ascii(
            "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n{\"message\":\"no builder!\"}\r\n0\r\n\r\n"));

        var error = await UpgradeRefusedAsync(connection);

        Assert.EndsWith(": no builder!", error.Message);
    }

    [Fact]
    public async Task An_answer_that_is_not_HTTP_is_refused()
    {
        var connection = new ScriptedConnection(Ascii("SSH-2.0-OpenSSH_9.2\r\n\r\n"));

        var error = await UpgradeRefusedAsync(connection);

        Assert.Contains("not HTTP", error.Message);
    }

    [Fact]
    public async Task A_connection_closed_before_the_head_ends_is_reported()
    {
        var connection = new ScriptedConnection(Ascii("HTTP/1.1 101 Switching"));

        var error = await UpgradeRefusedAsync(connection);

        Assert.Contains("closed the connection", error.Message);
    }

    [Fact]
    public async Task The_session_request_repeats_the_method_header_once_per_method()
    {
        var connection = new ScriptedConnection(Ascii(SwitchingProtocols));
        KeyValuePair<string, string>[] headers =
        [
            new("X-Docker-Expose-Session-Uuid", "abc"),
            new("X-Docker-Expose-Session-Grpc-Method", "/moby.filesync.v1.FileSync/DiffCopy"),
            new("X-Docker-Expose-Session-Grpc-Method", "/grpc.health.v1.Health/Check"),
        ];

        await HttpUpgrade.UpgradeAsync(connection, "/session", "docker", headers, CancellationToken.None);

        var request = Encoding.ASCII.GetString(connection.Written.ToArray());
        Assert.StartsWith("POST /session HTTP/1.1\r\n", request);
        Assert.Contains("\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n", request);
        Assert.Contains("\r\nX-Docker-Expose-Session-Grpc-Method: /moby.filesync.v1.FileSync/DiffCopy\r\n"
            + "X-Docker-Expose-Session-Grpc-Method: /grpc.health.v1.Health/Check\r\n", request);
        Assert.EndsWith("\r\n\r\n", request);
    }

    [Fact]
    public void A_header_value_with_a_line_break_is_never_written()
    {
        Assert.Throws<ArgumentException>(() => HttpUpgrade.BuildRequest("/session", "docker",
            [new("X-Docker-Expose-Session-Sharedkey", "key\r\nX-Injected: yes")]));
    }

    [Fact]
    public void The_head_parser_waits_for_the_blank_line_and_counts_it()
    {
        var complete = Ascii(SwitchingProtocols);

        Assert.False(UpgradeResponseHead.TryParse(complete[..^2], out _, out _));
        Assert.True(UpgradeResponseHead.TryParse([.. complete, 1, 2, 3], out var head, out var length));
        Assert.Equal(complete.Length, length);
        Assert.Equal(101, head!.StatusCode);
        Assert.Equal("h2c", head.Header("upgrade"));
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>Asks <paramref name="connection"/> to upgrade <paramref name="path"/> and expects the refusal the client reports.</summary>
    private static Task<BuildKitConnectionException> UpgradeRefusedAsync(ScriptedConnection connection, string path = "/grpc") =>
        Assert.ThrowsAsync<BuildKitConnectionException>(() => HttpUpgrade.UpgradeAsync(connection, path, "docker", [], CancellationToken.None));

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
