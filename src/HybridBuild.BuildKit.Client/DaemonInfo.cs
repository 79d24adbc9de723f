namespace HybridBuild.BuildKit.Client;

/// <summary>What a BuildKit daemon says about itself.</summary>
/// <param name="BuildKitVersion">The daemon's version (BuildKit v0.11+), or null when it does not say; distro builds may report <c>v0.0.0+unknown</c>.</param>
/// <param name="Workers">The workers that run builds.</param>
public sealed record DaemonInfo(BuildKitVersion? BuildKitVersion, IReadOnlyList<WorkerInfo> Workers);

/// <summary>A BuildKit version triple.</summary>
public sealed record BuildKitVersion(string Package, string Version, string Revision);

/// <summary>One worker: the platforms it can build for and its labels (executor, snapshotter, hostname, ...).</summary>
/// <param name="Platforms">As <c>os/arch[/variant]</c>, e.g. <c>linux/amd64</c>, <c>linux/amd64/v2</c>.</param>
/// <param name="Version">The worker's BuildKit version (v0.11+), or null.</param>
public sealed record WorkerInfo(string Id, IReadOnlyList<string> Platforms, IReadOnlyDictionary<string, string> Labels, BuildKitVersion? Version);
