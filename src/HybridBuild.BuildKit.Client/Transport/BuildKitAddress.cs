namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>How the client reaches BuildKit.</summary>
public enum BuildKitDaemonKind
{
    /// <summary>A Docker Engine's embedded BuildKit, reached through the Engine API's <c>/grpc</c> and <c>/session</c> upgrades.</summary>
    Docker,

    /// <summary>A standalone <c>buildkitd</c> speaking gRPC directly (h2c, or TLS when TLS options are given).</summary>
    BuildKitd,
}

/// <summary>
/// A parsed BuildKit address: <c>docker</c> (DOCKER_HOST or the local Engine socket), <c>docker+unix:///path</c>,
/// <c>docker+tcp://host:port</c>, <c>unix:///path</c> or <c>tcp://host:port</c>.
/// </summary>
public sealed record BuildKitAddress
{
    private const string DefaultDockerSocket = "/var/run/docker.sock";

    private BuildKitAddress(BuildKitDaemonKind daemon, string? socketPath, string? host, int port, string original)
    {
        Daemon = daemon;
        SocketPath = socketPath;
        Host = host;
        Port = port;
        Original = original;
    }

    /// <summary>Whether a Docker Engine or a standalone buildkitd answers at this address.</summary>
    public BuildKitDaemonKind Daemon { get; }

    /// <summary>The unix socket path, or null for TCP.</summary>
    public string? SocketPath { get; }

    /// <summary>The TCP host, or null for a unix socket.</summary>
    public string? Host { get; }

    /// <summary>The TCP port, or 0 for a unix socket.</summary>
    public int Port { get; }

    /// <summary>The address as it was given (after <c>docker</c> was resolved through DOCKER_HOST).</summary>
    public string Original { get; }

    /// <summary>Whether this is a unix socket address.</summary>
    public bool IsUnixSocket => SocketPath is not null;

    /// <summary>Parses an address; <c>docker</c> reads DOCKER_HOST from the environment.</summary>
    /// <exception cref="FormatException">The address is not one of the supported forms; the message names them.</exception>
    public static BuildKitAddress Parse(string address) =>
        Parse(address, Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>Parses an address, resolving <c>docker</c> with the given DOCKER_HOST value (null or empty: the local socket).</summary>
    public static BuildKitAddress Parse(string address, string? dockerHost)
    {
        ArgumentNullException.ThrowIfNull(address);
        var trimmed = address.Trim();
        if (trimmed == "docker")
        {
            var engine = string.IsNullOrWhiteSpace(dockerHost) ? "unix://" + DefaultDockerSocket : dockerHost.Trim();
            return ParseEndpoint(BuildKitDaemonKind.Docker, engine, trimmed, "DOCKER_HOST");
        }
        if (trimmed.StartsWith("docker+", StringComparison.Ordinal))
        {
            return ParseEndpoint(BuildKitDaemonKind.Docker, trimmed["docker+".Length..], trimmed, "the address");
        }
        return ParseEndpoint(BuildKitDaemonKind.BuildKitd, trimmed, trimmed, "the address");
    }

    private static BuildKitAddress ParseEndpoint(BuildKitDaemonKind daemon, string endpoint, string original, string source)
    {
        if (endpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = endpoint["unix://".Length..];
            if (path.Length == 0 || path[0] != '/')
            {
                throw Invalid(original, $"{source} names a unix socket without an absolute path ('{endpoint}')");
            }
            return new BuildKitAddress(daemon, path, null, 0, original);
        }
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal)
            && Uri.TryCreate("tcp://" + endpoint["tcp://".Length..].TrimEnd('/'), UriKind.Absolute, out var uri)
            && uri.Host.Length > 0 && uri.AbsolutePath is "/" or "" && uri.Query.Length == 0 && uri.UserInfo.Length == 0)
        {
            if (uri.IsDefaultPort || uri.Port <= 0)
            {
                throw Invalid(original, $"{source} names a TCP endpoint without a port ('{endpoint}')");
            }
            return new BuildKitAddress(daemon, null, uri.IdnHost, uri.Port, original);
        }
        throw Invalid(original, $"{source} is not unix:///path or tcp://host:port ('{endpoint}')");
    }

    private static FormatException Invalid(string address, string why) => new(
        $"'{address}' is not a BuildKit address: {why}. Use docker, docker+unix:///path, docker+tcp://host:port, unix:///path or tcp://host:port.");

    /// <inheritdoc />
    public override string ToString() => Original;
}
