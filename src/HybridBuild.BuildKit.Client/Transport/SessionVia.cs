namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>How the build session reaches a Docker Engine.</summary>
public enum SessionVia
{
    /// <summary>The Engine API's <c>POST /session</c> upgrade (what the docker CLI and buildx do).</summary>
    Upgrade,

    /// <summary>
    /// BuildKit's <c>Control/Session</c> stream over a <c>POST /grpc</c> upgraded connection: the path a standalone
    /// buildkitd uses, exercised against a Docker Engine.
    /// </summary>
    Control,
}
