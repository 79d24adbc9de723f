namespace HybridBuild.BuildKit.Buildx;

/// <summary>How the buildx engine reaches BuildKit ("Engine:Buildx").</summary>
public sealed record BuildxOptions
{
    /// <summary>The docker CLI with the buildx plugin.</summary>
    public string DockerPath { get; init; } = "docker";

    /// <summary>An existing buildx builder to use; the CLI's current builder when empty.</summary>
    public string? Builder { get; init; }

    /// <summary>
    /// A standalone buildkitd (<c>tcp://host:1234</c> or <c>unix:///run/buildkit/buildkitd.sock</c>).
    /// When set, the engine creates a buildx remote builder for it and builds there.
    /// </summary>
    public string? Endpoint { get; init; }

    /// <summary>Name of the remote builder created for <see cref="Endpoint"/>.</summary>
    public string RemoteBuilderName { get; init; } = "hybridbuild-remote";

    /// <summary>Attach provenance attestations to images (off by default: plain single-platform manifests, as the seed builds them).</summary>
    public bool Provenance { get; init; }

    /// <summary>Remove an image from the Docker engine's store once it has been pushed.</summary>
    public bool RemovePushedImages { get; init; } = true;
}
