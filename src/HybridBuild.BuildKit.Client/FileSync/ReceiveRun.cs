namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>The state of one receive: the listing so far, the files requested and being written, what is left to finish.</summary>
internal sealed class ReceiveRun(IReceiveTarget tree, StatValidator validator, PacketWriter writer, ReceiveBudget budget, Action? beforeFin) : IAsyncDisposable
{
    // Go's sender streams 4 files at a time; far more open files than that is a sender misbehaving.
    private const int MaxOpenFiles = 64;

    private readonly Dictionary<uint, ReceivedEntry> _requested = [];
    private readonly Dictionary<uint, Stream> _open = [];
    private readonly Dictionary<string, ReceivedEntry> _filesByPath = new(StringComparer.Ordinal);
    private readonly List<ReceivedEntry> _hardLinks = [];
    private readonly List<ReceivedEntry> _directories = [];
    private bool _listingComplete;

    public bool FinSent { get; private set; }

    /// <summary>True once the sender's FIN has arrived: the transfer is complete.</summary>
    public async Task<bool> HandleAsync(Packet packet, CancellationToken ct)
    {
        switch (packet.Type)
        {
            case PacketType.PacketStat when _listingComplete:
                throw new FileTransferException("The sender sent an entry after the end of the listing.");
            case PacketType.PacketStat when packet.Stat is null:
                _listingComplete = true;
                await FinishIfCompleteAsync(ct).ConfigureAwait(false);
                return false;
            case PacketType.PacketStat:
                await AcceptAsync(validator.Accept(packet.Stat), ct).ConfigureAwait(false);
                return false;
            case PacketType.PacketData:
                await WriteAsync(packet.ID, packet.Data, ct).ConfigureAwait(false);
                return false;
            case PacketType.PacketFin when FinSent:
                return true;
            case PacketType.PacketFin:
                throw new FileTransferException("The sender finished before the transfer was complete.");
            case PacketType.PacketErr:
                throw new FileTransferException($"The sender failed: {packet.Data.ToStringUtf8()}", reportedByPeer: true);
            default:
                throw new FileTransferException($"The sender sent a {packet.Type} packet, which only a receiver may send.");
        }
    }

    private async Task AcceptAsync(ReceivedEntry entry, CancellationToken ct)
    {
        switch (entry.Kind)
        {
            case EntryKind.Directory:
                tree.CreateDirectory(entry.Path);
                _directories.Add(entry);
                break;
            case EntryKind.Symlink:
                tree.CreateSymlink(entry.Path, entry.LinkTarget);
                break;
            case EntryKind.HardLink:
                _hardLinks.Add(entry); // made at the end, once the file it shares content with is complete
                break;
            case EntryKind.File:
                _filesByPath[entry.Path] = entry;
                _requested[entry.Id] = entry;
                await writer.WriteAsync(new Packet { Type = PacketType.PacketReq, ID = entry.Id }, ct).ConfigureAwait(false);
                break;
            case EntryKind.Special:
                break; // devices, FIFOs and sockets have no place in an export written by an unprivileged service
        }
    }

    private async Task WriteAsync(uint id, ByteString data, CancellationToken ct)
    {
        if (!_requested.TryGetValue(id, out var entry))
            throw new FileTransferException($"The sender sent data for entry {id}, which was not requested or is already complete.");
        if (!_open.TryGetValue(id, out var file))
        {
            if (_open.Count >= MaxOpenFiles) throw new FileTransferException($"The sender is streaming more than {MaxOpenFiles} files at once.");
            file = await tree.CreateFileAsync(entry, ct).ConfigureAwait(false);
            _open[id] = file;
        }
        if (data.IsEmpty)
        {
            _open.Remove(id);
            _requested.Remove(id);
            await tree.CompleteFileAsync(file, entry, ct).ConfigureAwait(false);
            await FinishIfCompleteAsync(ct).ConfigureAwait(false);
            return;
        }
        budget.TakeReceivedBytes(data.Length);
        // a file on disk takes the chunk into its buffer (the page cache beats a thread-pool write per 32 KiB chunk)
        if (file is FileStream onDisk) onDisk.Write(data.Span);
        else await file.WriteAsync(data.Memory, ct).ConfigureAwait(false);
    }

    private async Task FinishIfCompleteAsync(CancellationToken ct)
    {
        if (!_listingComplete || _requested.Count > 0 || FinSent) return;
        foreach (var link in _hardLinks) await tree.CreateHardLinkAsync(link, _filesByPath[link.LinkTarget], ct).ConfigureAwait(false);
        for (var i = _directories.Count - 1; i >= 0; i--) tree.CompleteDirectory(_directories[i]); // children first, as fsutil does
        beforeFin?.Invoke();
        await writer.WriteAsync(new Packet { Type = PacketType.PacketFin }, ct).ConfigureAwait(false);
        FinSent = true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var file in _open.Values) await file.DisposeAsync().ConfigureAwait(false);
        _open.Clear();
    }
}
