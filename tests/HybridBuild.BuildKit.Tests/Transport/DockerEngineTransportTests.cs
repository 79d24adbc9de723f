using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Transport;

[Collection(DockerDaemon.Collection)]
public sealed class DockerEngineTransportTests
{
    [Fact]
    public async Task GetInfo_over_the_engines_grpc_upgrade_lists_a_worker_that_builds_for_this_machine()
    {
        await using var client = await DockerDaemon.ConnectAsync();

        var info = await client.GetInfoAsync(CancellationToken.None);

        var worker = Assert.Single(info.Workers);
        Assert.NotEmpty(worker.Id);
        Assert.Contains($"linux/{DockerArchitecture()}", worker.Platforms);
        Assert.NotEmpty(worker.Labels);
        Assert.NotNull(info.BuildKitVersion);
    }

    [Fact]
    public async Task Concurrent_calls_share_one_client()
    {
        await using var client = await DockerDaemon.ConnectAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetInfoAsync(CancellationToken.None)));

        Assert.All(answers, a => Assert.NotEmpty(a.Workers));
    }

    [Fact]
    public async Task An_upgrade_the_engine_refuses_fails_with_the_engines_own_words()
    {
        await using var client = await DockerDaemon.ConnectAsync();
        var dialer = new StreamDialer(BuildKitAddress.Parse("docker"), tls: null);
        var connection = await dialer.ConnectPlainAsync(CancellationToken.None);

        // An API version below the Engine's minimum: refused with a JSON body, before any upgrade.
        var error = await Assert.ThrowsAsync<BuildKitConnectionException>(
            () => HttpUpgrade.UpgradeAsync(connection, "/v1.12/grpc", "docker", [], CancellationToken.None));

        Assert.Contains("(400 Bad Request): client version 1.12 is too old", error.Message);
    }

    [Fact]
    public async Task The_grpc_upgrade_hands_over_the_engines_first_HTTP2_frame()
    {
        await using var client = await DockerDaemon.ConnectAsync();
        var connection = await new StreamDialer(BuildKitAddress.Parse("docker"), tls: null).ConnectPlainAsync(CancellationToken.None);

        await using var upgraded = await HttpUpgrade.UpgradeAsync(connection, "/grpc", "docker", [], CancellationToken.None);
        await upgraded.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray().Concat(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 0 }).ToArray());
        var header = new byte[9];
        await upgraded.ReadExactlyAsync(header);

        // The server speaks first after the preface: a SETTINGS frame (type 4) on stream 0, not an ACK.
        Assert.Equal(4, header[3]);
        Assert.Equal(0, header[4] & 1);
    }

    [Fact]
    public async Task An_address_where_nothing_listens_fails_with_the_address_named()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"nothing-{Guid.NewGuid():N}.sock");
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = "docker+unix://" + socket });

        var error = await Assert.ThrowsAsync<BuildKitConnectionException>(() => client.GetInfoAsync(CancellationToken.None));

        Assert.Contains(socket, error.Message);
    }

    private static string DockerArchitecture() => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var other => other.ToString().ToLowerInvariant(),
    };
}
