using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>The buildkitd transports (unix socket, TLS, mutual TLS) against a Kestrel stand-in that plays the daemon's part.</summary>
public sealed class StandaloneDaemonTests
{
    [Fact]
    public async Task A_daemon_on_a_unix_socket_reports_its_version_and_workers()
    {
        var socket = SocketPath();
        await using var daemon = await FakeBuildKitd.StartOnUnixSocketAsync(socket);
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = daemon.Address });

        var info = await client.GetInfoAsync(CancellationToken.None);

        Assert.Equal("v0.99.0-fake", info.BuildKitVersion?.Version);
        var worker = Assert.Single(info.Workers);
        Assert.Equal(["linux/amd64", "linux/arm/v7"], worker.Platforms);
        Assert.Equal("fake", worker.Labels["org.mobyproject.buildkit.worker.executor"]);
    }

    [Fact]
    public async Task A_build_on_a_unix_socket_opens_a_session_that_advertises_each_method_in_a_header_of_its_own()
    {
        await using var daemon = await FakeBuildKitd.StartOnUnixSocketAsync(SocketPath());
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = daemon.Address });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");
        var progress = new RecordedProgress();

        var result = await client.SolveAsync(new SolveRequest { ContextDirectory = work.Context }, progress, CancellationToken.None);

        Assert.Equal("sha256:fake", result.ImageDigest);
        var methods = Assert.Single(daemon.Control.SessionMethodHeaders);
        Assert.Contains("/moby.filesync.v1.FileSync/DiffCopy", methods);
        Assert.Contains("/grpc.health.v1.Health/Check", methods);
        Assert.All(methods, m => Assert.DoesNotContain(",", m));
        Assert.Contains("fake output", progress.Logs);
        Assert.Equal(0, client.ActiveSessions);
    }

    [Fact]
    public async Task A_failed_solve_carries_the_daemons_message_worded_as_the_Go_client_does()
    {
        await using var daemon = await FakeBuildKitd.StartOnUnixSocketAsync(SocketPath());
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = daemon.Address });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");

        var error = await Assert.ThrowsAsync<BuildKitSolveException>(() => client.SolveAsync(
            new SolveRequest { ContextDirectory = work.Context, Target = "broken" }, null, CancellationToken.None));

        Assert.Equal("failed to solve: target stage \"broken\" could not be found", error.Message);
    }

    [Fact]
    public async Task Mutual_TLS_with_the_daemons_CA_and_a_client_certificate_carries_info_and_the_session()
    {
        using var certificates = new TestCertificates();
        await using var daemon = await FakeBuildKitd.StartWithTlsAsync(certificates.Server, clientAuthority: certificates.Authority);
        await using var client = BuildKitClient.Create(new BuildKitClientOptions
        {
            Address = daemon.Address,
            Tls = new BuildKitTlsOptions
            {
                CaCertificatePath = certificates.AuthorityPem,
                CertificatePath = certificates.ClientCertificatePem,
                KeyPath = certificates.ClientKeyPem,
                ServerName = TestCertificates.ServerName,
            },
        });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");

        var info = await client.GetInfoAsync(CancellationToken.None);
        var result = await client.SolveAsync(new SolveRequest { ContextDirectory = work.Context }, null, CancellationToken.None);

        Assert.Equal("fake-worker", Assert.Single(info.Workers).Id);
        Assert.Equal("sha256:fake", result.ImageDigest);
    }

    [Fact]
    public async Task A_daemon_whose_certificate_another_CA_signed_is_refused()
    {
        using var daemonCertificates = new TestCertificates("Somebody else's CA");
        using var ours = new TestCertificates();
        await using var daemon = await FakeBuildKitd.StartWithTlsAsync(daemonCertificates.Server, clientAuthority: null);
        await using var client = BuildKitClient.Create(new BuildKitClientOptions
        {
            Address = daemon.Address,
            Tls = new BuildKitTlsOptions { CaCertificatePath = ours.AuthorityPem, ServerName = TestCertificates.ServerName },
        });

        var error = await Assert.ThrowsAsync<BuildKitConnectionException>(() => client.GetInfoAsync(CancellationToken.None));

        Assert.Contains(daemon.Address, error.Message);
    }

    [Fact]
    public void TLS_options_for_a_unix_socket_are_refused_up_front()
    {
        Assert.Throws<ArgumentException>(() => BuildKitClient.Create(new BuildKitClientOptions
        {
            Address = "unix:///run/buildkit/buildkitd.sock",
            Tls = new BuildKitTlsOptions { CaCertificatePath = "/nowhere/ca.pem" },
        }));
    }

    private static string SocketPath() => Path.Combine(Path.GetTempPath(), $"bk-{Guid.NewGuid():N}.sock");
}
