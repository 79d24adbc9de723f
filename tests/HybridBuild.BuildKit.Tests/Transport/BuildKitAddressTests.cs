namespace HybridBuild.BuildKit.Tests.Transport;

public sealed class BuildKitAddressTests
{
    [Fact]
    public void Docker_without_DOCKER_HOST_means_the_local_engine_socket()
    {
        var address = BuildKitAddress.Parse("docker", dockerHost: null);

        Assert.Equal(BuildKitDaemonKind.Docker, address.Daemon);
        Assert.Equal("/var/run/docker.sock", address.SocketPath);
    }

    [Fact]
    public void Docker_follows_DOCKER_HOST_to_a_unix_socket_or_a_TCP_endpoint()
    {
        var socket = BuildKitAddress.Parse("docker", "unix:///run/user/1000/docker.sock");
        var tcp = BuildKitAddress.Parse("docker", "tcp://engine.example:2376");

        Assert.Equal((BuildKitDaemonKind.Docker, "/run/user/1000/docker.sock"), (socket.Daemon, socket.SocketPath));
        Assert.Equal((BuildKitDaemonKind.Docker, "engine.example", 2376), (tcp.Daemon, tcp.Host, tcp.Port));
    }

    [Theory]
    [InlineData("docker+unix:///var/run/docker.sock", BuildKitDaemonKind.Docker, "/var/run/docker.sock", null, 0)]
    [InlineData("docker+tcp://10.0.0.5:2375", BuildKitDaemonKind.Docker, null, "10.0.0.5", 2375)]
    [InlineData("unix:///run/buildkit/buildkitd.sock", BuildKitDaemonKind.BuildKitd, "/run/buildkit/buildkitd.sock", null, 0)]
    [InlineData("tcp://buildkitd:1234", BuildKitDaemonKind.BuildKitd, null, "buildkitd", 1234)]
    [InlineData("tcp://[::1]:1234/", BuildKitDaemonKind.BuildKitd, null, "::1", 1234)]
    public void Explicit_addresses_name_the_daemon_kind_and_endpoint(string text, BuildKitDaemonKind daemon, string? socket, string? host, int port)
    {
        var address = BuildKitAddress.Parse(text, dockerHost: "tcp://ignored:1");

        Assert.Equal(daemon, address.Daemon);
        Assert.Equal(socket, address.SocketPath);
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("http://buildkitd:1234")]
    [InlineData("tcp://buildkitd")]
    [InlineData("tcp://buildkitd:1234/path")]
    [InlineData("unix://relative/buildkitd.sock")]
    [InlineData("docker+ssh://user@host")]
    [InlineData("npipe:////./pipe/docker_engine")]
    [InlineData("")]
    public void Unsupported_addresses_are_refused_with_the_supported_forms_named(string text)
    {
        var error = Assert.Throws<FormatException>(() => BuildKitAddress.Parse(text, dockerHost: null));

        Assert.Contains("docker+unix:///path", error.Message);
        Assert.Contains("tcp://host:port", error.Message);
    }

    [Fact]
    public void A_DOCKER_HOST_that_is_not_a_socket_or_TCP_is_reported_as_such()
    {
        var error = Assert.Throws<FormatException>(() => BuildKitAddress.Parse("docker", "ssh://me@engine"));

        Assert.Contains("DOCKER_HOST", error.Message);
    }
}
