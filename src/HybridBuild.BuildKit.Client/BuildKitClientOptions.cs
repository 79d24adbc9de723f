using HybridBuild.BuildKit.Client.Transport;

namespace HybridBuild.BuildKit.Client;

/// <summary>Where BuildKit is and how to talk to it.</summary>
public sealed record BuildKitClientOptions
{
    /// <summary>
    /// <c>docker</c> (DOCKER_HOST or the local Engine socket, the default), <c>docker+unix:///path</c>,
    /// <c>docker+tcp://host:port</c>, or a standalone buildkitd at <c>unix:///path</c> or <c>tcp://host:port</c>.
    /// </summary>
    public string Address { get; init; } = "docker";

    /// <summary>TLS (and mutual TLS) for a TCP address; null = plain h2c.</summary>
    public BuildKitTlsOptions? Tls { get; init; }

    /// <summary>For Docker Engine addresses: how the build session is carried. Standalone buildkitd always uses Control/Session.</summary>
    public SessionVia SessionVia { get; init; } = SessionVia.Upgrade;

    /// <summary>At most this many entries in one local export; a bigger result fails the build.</summary>
    public long MaxExportEntries { get; init; } = 1_000_000;

    /// <summary>At most this many bytes of file content in one local export.</summary>
    public long MaxExportBytes { get; init; } = 16L * 1024 * 1024 * 1024;
}
