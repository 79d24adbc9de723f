namespace HybridBuild.BuildKit.Client.Session;

/// <summary>The paths of the methods the session serves, as they are advertised to the daemon.</summary>
internal static class SessionMethods
{
    public const string HealthCheck = "/grpc.health.v1.Health/Check";
    public const string FileSyncDiffCopy = "/moby.filesync.v1.FileSync/DiffCopy";
    public const string FileSendDiffCopy = "/moby.filesync.v1.FileSend/DiffCopy";
    public const string AuthCredentials = "/moby.filesync.v1.Auth/Credentials";
    public const string SecretsGetSecret = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
}
