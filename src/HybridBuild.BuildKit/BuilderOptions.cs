using HybridBuild.BuildKit.Client.Transport;

namespace HybridBuild.BuildKit;

/// <summary>"Engine:Builders:N": one BuildKit daemon of the pool, driven by the native engine.</summary>
public sealed record BuilderOptions
{
    /// <summary>Shown in the build record and on /health/ready; letters, digits, '-', '_' and '.'.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>docker</c>, <c>docker+unix:///path</c>, <c>docker+tcp://host:port</c>, <c>unix:///path</c> or <c>tcp://host:port</c> (a buildkitd).</summary>
    public string Address { get; init; } = "";

    /// <summary>TLS or mutual TLS for a <c>tcp://</c> buildkitd.</summary>
    public BuildKitTlsOptions? Tls { get; init; }

    /// <summary>How the session reaches a Docker engine; as Engine:Native:SessionVia.</summary>
    public SessionVia SessionVia { get; init; } = SessionVia.Upgrade;

    /// <summary>The platforms it builds; empty means what the daemon reports.</summary>
    public List<string> Platforms { get; init; } = [];

    /// <summary>Solves it runs at once, counted across every node.</summary>
    public int MaxSolves { get; init; } = 4;

    /// <summary>MiB of build cache it keeps: a recurring job prunes it to less (0 keeps none). Unset: never pruned.</summary>
    public long? CacheKeepStorageMiB { get; init; }

    /// <summary>Cache used within this time is kept whatever its size; unset keeps none for its age.</summary>
    public TimeSpan? CacheKeepFor { get; init; }

    internal CacheLimit? CacheLimit => ToCacheLimit(CacheKeepStorageMiB, CacheKeepFor);

    /// <summary>The limit of a configured size, in MiB; none without one.</summary>
    internal static CacheLimit? ToCacheLimit(long? keepMiB, TimeSpan? keepFor) => keepMiB is { } mib ? new CacheLimit(mib << 20, keepFor) : null;
}
