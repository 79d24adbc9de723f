using Grpc.AspNetCore.Server.Model;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>
/// A hand-written service binding for <c>moby.filesync.v1.FileSend/DiffCopy</c> with payloads left as raw bytes:
/// the one path carries fsutil packets for a directory export and <c>BytesMessage</c> chunks for a file export.
/// grpc-dotnet finds the handler by name as an override of a method declared on the binding type, hence a base class.
/// </summary>
[BindServiceMethod(typeof(RawFileSendBase), nameof(BindService))]
internal abstract class RawFileSendBase
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(static bytes => bytes, static bytes => bytes);

    /// <summary>The declared method, with payloads left undecoded.</summary>
    public static readonly Method<byte[], byte[]> DiffCopyMethod =
        new(MethodType.DuplexStreaming, "moby.filesync.v1.FileSend", "DiffCopy", Raw, Raw);

    /// <summary>Called by grpc-dotnet to discover the method.</summary>
    public static void BindService(ServiceBinderBase binder, RawFileSendBase? service) =>
        binder.AddMethod(DiffCopyMethod, service is null ? null : service.DiffCopy);

    public abstract Task DiffCopy(IAsyncStreamReader<byte[]> requestStream, IServerStreamWriter<byte[]> responseStream, ServerCallContext context);
}
