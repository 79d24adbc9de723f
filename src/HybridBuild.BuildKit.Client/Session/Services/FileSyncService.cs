using ProtocolFileSync = HybridBuild.BuildKit.Client.Protocol.FileSync.FileSync;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Sends a local directory (build context, Dockerfile) to the daemon: this side is the fsutil sender.</summary>
internal sealed class FileSyncService : ProtocolFileSync.FileSyncBase
{
    public override async Task DiffCopy(IAsyncStreamReader<Packet> requestStream, IServerStreamWriter<Packet> responseStream, ServerCallContext context)
    {
        var session = context.GetBuildSession();
        var headers = context.GetHttpContext().Request.Headers;
        var name = SessionRequestMetadata.GetSingle(headers, "dir-name");
        if (name is null || !session.LocalDirectories.TryGetValue(name, out var root))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no local directory named '{name}' in this session"));
        }

        var filter = new SendFilter(
            SessionRequestMetadata.GetValues(headers, "followpaths"),
            SessionRequestMetadata.GetValues(headers, "include-patterns"),
            SessionRequestMetadata.GetValues(headers, "exclude-patterns"));
        await FsutilSender.SendAsync(root, filter, requestStream, responseStream, context.CancellationToken);
    }
}
