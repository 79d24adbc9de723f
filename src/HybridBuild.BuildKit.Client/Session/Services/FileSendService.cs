using System.Globalization;
using HybridBuild.BuildKit.Client.Protocol.FileSync;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>
/// Receives the daemon's exports, decoding the raw payloads by the target the exporter ID selects: fsutil packets
/// for a directory, <c>BytesMessage</c> chunks for a file.
/// </summary>
internal sealed partial class FileSendService(ILogger<FileSendService> logger) : RawFileSendBase
{
    /// <summary>The exporter's index in the solve request (BuildKit v0.13+); older daemons send none, meaning 0.</summary>
    public const string ExporterIdHeader = "buildkit-attachable-exporter-id";

    public override async Task DiffCopy(IAsyncStreamReader<byte[]> requestStream, IServerStreamWriter<byte[]> responseStream, ServerCallContext context)
    {
        var session = context.GetBuildSession();
        var exporterId = "?";
        try
        {
            exporterId = SessionRequestMetadata.GetSingle(context.GetHttpContext().Request.Headers, ExporterIdHeader) ?? "0";
            switch (FindExport(session, exporterId))
            {
                case SessionExport.Directory directory:
                    await ReceiveDirectoryAsync(directory, session.ExportBudget(directory, directory.Limits), requestStream, responseStream, context.CancellationToken);
                    break;
                case SessionExport.Files files:
                    // each stream (one per platform) goes straight to the sink: no staging, nothing to merge
                    await ReceiveAsync(() => new SinkTarget(files.Sink), "Streaming the export", session.ExportBudget(files, files.Limits), beforeFin: null,
                        requestStream, responseStream, context.CancellationToken);
                    break;
                case SessionExport.File file:
                    await FileExportWriter.WriteAsync(file.Path, requestStream, context.CancellationToken);
                    break;
                case SessionExport.FileToSink sink:
                    await FileExportWriter.WriteAsync(sink.Sink, sink.Path, sink.MaxBytes, requestStream, context.CancellationToken);
                    break;
            }
        }
        catch (Exception e)
        {
            // The daemon's error for a failed export is vague; the solve reports this one.
            session.RecordExportFailure(e);
            LogExportFailed(logger, exporterId, e);
            throw e as RpcException ?? new RpcException(new Status(StatusCode.Internal, $"export {exporterId} failed: {e.Message}"));
        }
    }

    private static SessionExport FindExport(BuildSession session, string exporterId)
    {
        if (!int.TryParse(exporterId, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= session.Exports.Count)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no export target {exporterId} in this session"));
        }

        return session.Exports[index];
    }

    private static async Task ReceiveDirectoryAsync(
        SessionExport.Directory target, ReceiveBudget budget, IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, CancellationToken cancellationToken)
    {
        // A multi-platform export arrives as one stream per platform, concurrently, into the same destination: each
        // stream is received into a fresh staging directory of its own and merged in once complete.
        var staging = ExportStaging.Create(target.Path);
        try
        {
            // Merged before our FIN: the daemon reports the export done (and may answer the Solve) once it has our FIN.
            await ReceiveAsync(() => DestinationTree.Prepare(staging), $"Writing the export to {staging}", budget, () => ExportStaging.MergeInto(staging, target),
                requests, responses, cancellationToken);
        }
        finally
        {
            ExportStaging.Remove(staging);
        }
    }

    private static async Task ReceiveAsync(Func<IReceiveTarget> target, string writing, ReceiveBudget budget, Action? beforeFin,
        IAsyncStreamReader<byte[]> requests, IServerStreamWriter<byte[]> responses, CancellationToken cancellationToken)
    {
        var incoming = new RawPacketReader(requests);
        var outgoing = new RawPacketWriter(responses);
        try
        {
            await FsutilReceiver.ReceiveAsync(target, writing, incoming, outgoing, budget, beforeFin, cancellationToken);
        }
        catch (Exception e) when (outgoing.FinSent && IsCallEnding(e is FileTransferException { InnerException: { } inner } ? inner : e, cancellationToken))
        {
            // The daemon answers our FIN with its own and cancels the call at once instead of half-closing; the
            // reset can overtake its FIN. We send FIN only once every file has arrived (and is merged), so nothing is missing.
            // Only our FIN says so: a FIN from the daemon before ours means the transfer stopped short.
        }
    }

    private static bool IsCallEnding(Exception e, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
        || e is OperationCanceledException or IOException
        || e is RpcException { StatusCode: StatusCode.Cancelled };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export {ExporterId} of a build session failed")]
    private static partial void LogExportFailed(ILogger logger, string exporterId, Exception exception);
}
