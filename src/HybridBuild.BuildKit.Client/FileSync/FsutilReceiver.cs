namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// The fsutil receiver (the daemon has the files: FileSend/DiffCopy of the <c>local</c> exporter). Everything the
/// daemon sends is checked before it reaches the disk; a violation fails the transfer with an ERR to the daemon and
/// a <see cref="FileTransferException"/> to the caller. Partial output is left for the caller to remove.
/// </summary>
internal static class FsutilReceiver
{
    public static Task ReceiveAsync(string destination, IAsyncStreamReader<Packet> incoming, IAsyncStreamWriter<Packet> outgoing, ReceiveLimits limits, CancellationToken ct) =>
        ReceiveAsync(destination, incoming, outgoing, new ReceiveBudget(limits), beforeFin: null, ct);

    /// <summary>Receives into <paramref name="destination"/>, an empty directory (made when missing).</summary>
    public static Task ReceiveAsync(string destination, IAsyncStreamReader<Packet> incoming, IAsyncStreamWriter<Packet> outgoing, ReceiveBudget budget, Action? beforeFin, CancellationToken ct) =>
        ReceiveAsync(() => DestinationTree.Prepare(destination), $"Writing the export to {destination}", incoming, outgoing, budget, beforeFin, ct);

    /// <summary>
    /// Receives within what is left of <paramref name="budget"/>, which other streams into the same destination share.
    /// <paramref name="beforeFin"/> runs once everything is written, before our FIN: the FIN lets the sender report the
    /// transfer complete, so what must be done by then (moving the output into place) goes there, and its failure
    /// reaches the sender as an ERR.
    /// </summary>
    /// <param name="target">Makes the target, inside the receive so that its failure is reported to the sender.</param>
    /// <param name="writing">What a local I/O failure's message starts with.</param>
    public static async Task ReceiveAsync(Func<IReceiveTarget> target, string writing, IAsyncStreamReader<Packet> incoming, IAsyncStreamWriter<Packet> outgoing,
        ReceiveBudget budget, Action? beforeFin, CancellationToken ct)
    {
        using var writer = new PacketWriter(outgoing);
        ReceiveRun? run = null;
        try
        {
            run = new ReceiveRun(target(), new StatValidator(budget), writer, budget, beforeFin);
            while (await incoming.MoveNext(ct).ConfigureAwait(false))
            {
                // The daemon cancels the call right after its FIN: return at once, before that cancellation lands.
                if (await run.HandleAsync(incoming.Current, ct).ConfigureAwait(false)) return;
            }
            if (!run.FinSent) throw new FileTransferException("The sender closed the stream before the transfer was complete.");
        }
        catch (Exception e) when (e is FileTransferException { ReportedByPeer: false } or IOException or UnauthorizedAccessException)
        {
            await writer.TrySendErrorAsync(e.Message).ConfigureAwait(false);
            if (e is FileTransferException) throw;
            throw new FileTransferException($"{writing} failed: {e.Message}", e);
        }
        finally
        {
            if (run is not null) await run.DisposeAsync().ConfigureAwait(false);
        }
    }
}
