namespace HybridBuild.BuildKit.Client.Session;

/// <summary>The header names that open a session (Docker's <c>/session</c> upgrade, or <c>Control/Session</c> metadata).</summary>
internal static class SessionHeaders
{
    public const string Uuid = "X-Docker-Expose-Session-Uuid";
    public const string SharedKey = "X-Docker-Expose-Session-Sharedkey";
    public const string Name = "X-Docker-Expose-Session-Name";
    public const string GrpcMethod = "X-Docker-Expose-Session-Grpc-Method";
}
