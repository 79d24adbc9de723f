using HybridBuild.BuildKit.Client.Transport;

namespace HybridBuild.BuildKit.Native;

/// <summary>How the native engine reaches BuildKit ("Engine:Native").</summary>
public sealed record NativeEngineOptions
{
    /// <summary>
    /// <c>docker</c> (the engine of Engine:Docker:Host, its embedded BuildKit), <c>docker+unix:///path</c>,
    /// <c>docker+tcp://host:port</c>, or a standalone buildkitd at <c>unix:///run/buildkit/buildkitd.sock</c> or
    /// <c>tcp://host:1234</c> (TLS when <see cref="Tls"/> is set). Empty means <c>docker</c>.
    /// </summary>
    public string? Address { get; init; }

    /// <summary>TLS or mutual TLS for a <c>tcp://</c> buildkitd.</summary>
    public BuildKitTlsOptions? Tls { get; init; }

    /// <summary>
    /// How the build session reaches a Docker engine: its <c>/session</c> upgrade (default), or BuildKit's
    /// <c>Control/Session</c> stream as a standalone buildkitd is reached.
    /// </summary>
    public SessionVia SessionVia { get; init; } = SessionVia.Upgrade;

    /// <summary>Remove an image from the Docker engine's store once it has been pushed.</summary>
    public bool RemovePushedImages { get; init; } = true;

    /// <summary>Most files and bytes a local export may write; beyond them the stage fails.</summary>
    public long MaxExportEntries { get; init; } = 100_000;

    public long MaxExportBytes { get; init; } = 20L << 30;

    /// <summary>
    /// MiB of build cache the <c>default</c> builder keeps (no Engine:Builders), as Engine:Builders:N:CacheKeepStorageMiB.
    /// </summary>
    public long? CacheKeepStorageMiB { get; init; }

    /// <summary>As Engine:Builders:N:CacheKeepFor, for the <c>default</c> builder.</summary>
    public TimeSpan? CacheKeepFor { get; init; }
}
