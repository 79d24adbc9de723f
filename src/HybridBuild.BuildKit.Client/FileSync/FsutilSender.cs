using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// The fsutil sender (we have the files: FileSync/DiffCopy for the build context). The listing, the receiver's
/// requests and the file contents run side by side: the read loop never waits on a write, so a receiver that
/// requests files while the listing is still being sent is served without deadlock.
/// </summary>
internal static class FsutilSender
{
    private const int ChunkSize = 32 * 1024;
    private const int Workers = 4;

    public static async Task SendAsync(string root, SendFilter filter, IAsyncStreamReader<Packet> incoming, IAsyncStreamWriter<Packet> outgoing, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var writer = new PacketWriter(outgoing);
        var run = new SendRun(writer, cts);

        var reading = run.Guard(() => run.ReadAsync(incoming));
        var listing = run.Guard(() => run.ListAsync(root, filter));
        var workers = Enumerable.Range(0, Workers).Select(_ => run.Guard(run.ServeFilesAsync)).ToArray();

        await reading.ConfigureAwait(false); // returns on the receiver's FIN, or after a failure anywhere
        if (run.Failure is null)
        {
            await listing.ConfigureAwait(false);
            run.Requests.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        if (run.Failure is null)
        {
            await run.Guard(() => writer.WriteAsync(new Packet { Type = PacketType.PacketFin }, cts.Token)).ConfigureAwait(false);
            if (run.Failure is null) return;
        }

        await cts.CancelAsync().ConfigureAwait(false);
        run.Requests.Writer.TryComplete();
        await Task.WhenAll([listing, .. workers]).ConfigureAwait(false);
        var failure = run.Failure!;
        if (failure is OperationCanceledException) ct.ThrowIfCancellationRequested();
        if (failure is not FileTransferException { ReportedByPeer: true }) await writer.TrySendErrorAsync(failure.Message).ConfigureAwait(false);
        ExceptionDispatchInfo.Throw(failure);
    }

    private sealed class SendRun(PacketWriter writer, CancellationTokenSource cts)
    {
        private readonly ConcurrentDictionary<uint, string> _files = new(); // requestable IDs, removed once requested
        private long _listed; // how many entries have been listed so far
        private Exception? _failure;

        public Channel<(uint Id, string Path)> Requests { get; } = Channel.CreateUnbounded<(uint, string)>(new() { SingleWriter = true });
        public Exception? Failure => Volatile.Read(ref _failure);

        /// <summary>Runs one part; its failure is recorded (the first one wins) and stops the others.</summary>
        public async Task Guard(Func<Task> part)
        {
            try
            {
                await part().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                await cts.CancelAsync().ConfigureAwait(false);
            }
        }

        public async Task ListAsync(string root, SendFilter filter)
        {
            await Task.Yield(); // the walk does blocking I/O: leave the caller free to start the read loop
            if (!Directory.Exists(root)) throw new FileTransferException($"The directory to send, {root}, does not exist.");
            var entryFilter = new EntryFilter(root, filter); // a bad pattern fails here, and the receiver hears why
            uint id = 0;
            foreach (var entry in TreeWalker.Walk(root, entryFilter))
            {
                // Registered before the STAT goes out, so a REQ can never arrive for an ID we do not know yet.
                if (entry.IsRegularFile) _files[id] = entry.FullPath;
                Interlocked.Increment(ref _listed);
                await writer.WriteAsync(new Packet { Type = PacketType.PacketStat, Stat = entry.Stat }, cts.Token).ConfigureAwait(false);
                id++;
            }
            await writer.WriteAsync(new Packet { Type = PacketType.PacketStat }, cts.Token).ConfigureAwait(false);
        }

        public async Task ReadAsync(IAsyncStreamReader<Packet> incoming)
        {
            while (await incoming.MoveNext(cts.Token).ConfigureAwait(false))
            {
                var packet = incoming.Current;
                switch (packet.Type)
                {
                    case PacketType.PacketReq:
                        if (!_files.TryRemove(packet.ID, out var path))
                        {
                            throw new FileTransferException(packet.ID < Interlocked.Read(ref _listed)
                                ? $"The receiver requested entry {packet.ID}, which is not a regular file or was already requested."
                                : $"The receiver requested entry {packet.ID}, which was never listed.");
                        }
                        await Requests.Writer.WriteAsync((packet.ID, path), cts.Token).ConfigureAwait(false);
                        break;
                    case PacketType.PacketFin:
                        return;
                    case PacketType.PacketErr:
                        throw new FileTransferException($"The receiver failed: {packet.Data.ToStringUtf8()}", reportedByPeer: true);
                    default:
                        throw new FileTransferException($"The receiver sent a {packet.Type} packet, which only a sender may send.");
                }
            }
            throw new FileTransferException("The receiver closed the stream without finishing the transfer (no FIN).");
        }

        public async Task ServeFilesAsync()
        {
            var buffer = new byte[ChunkSize];
            await foreach (var (id, path) in Requests.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                await using (var file = TryOpen(path))
                {
                    if (file is not null)
                    {
                        int read;
                        while ((read = await file.ReadAsync(buffer, cts.Token).ConfigureAwait(false)) > 0)
                        {
                            var chunk = new Packet { Type = PacketType.PacketData, ID = id, Data = ByteString.CopyFrom(buffer, 0, read) };
                            await writer.WriteAsync(chunk, cts.Token).ConfigureAwait(false);
                        }
                    }
                }
                await writer.WriteAsync(new Packet { Type = PacketType.PacketData, ID = id }, cts.Token).ConfigureAwait(false);
            }
        }

        // A file that vanished or stopped being a regular file since it was listed goes out empty, as Go's sender does.
        private static FileStream? TryOpen(string path)
        {
            try
            {
                if (!PosixFile.TryLstat(path, out var stat) || !stat.IsRegular) return null;
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
