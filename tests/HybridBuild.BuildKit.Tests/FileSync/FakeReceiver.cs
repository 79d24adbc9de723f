namespace HybridBuild.BuildKit.Tests.FileSync;

/// <summary>Plays the daemon's receiving side against <see cref="FsutilSender"/>, one scripted step at a time.</summary>
internal sealed class FakeReceiver
{
    private readonly PacketStreams _client;
    private readonly PacketStreams _peer;
    private readonly Queue<Packet> _dataDuringListing = new(); // DATA may interleave with STATs once REQs are out

    private FakeReceiver(string root, SendFilter filter)
    {
        (_client, _peer) = PacketStreams.CreatePair();
        Sending = Task.Run(() => FsutilSender.SendAsync(root, filter, _client.Reader, _client.Writer, CancellationToken.None));
    }

    public Task Sending { get; }
    public IReadOnlyList<byte[]> SerializedBySender => _client.Writer.Serialized;

    public static FakeReceiver Start(string root, SendFilter? filter = null) => new(root, filter ?? SendFilter.None);

    /// <summary>The whole listing of a tree, after a complete exchange that requests nothing.</summary>
    public static async Task<List<Stat>> ListAsync(string root, SendFilter? filter = null)
    {
        var receiver = Start(root, filter);
        var listing = await receiver.ReadListingAsync();
        await receiver.FinishAsync();
        return listing;
    }

    /// <summary>Reads STATs up to the terminator, calling <paramref name="onEntry"/> with each one's ID as it arrives.</summary>
    public async Task<List<Stat>> ReadListingAsync(Func<uint, Stat, Task>? onEntry = null)
    {
        var stats = new List<Stat>();
        while (true)
        {
            var packet = await _peer.Reader.NextAsync();
            if (packet.Type == PacketType.PacketData)
            {
                _dataDuringListing.Enqueue(packet);
                continue;
            }
            Assert.Equal(PacketType.PacketStat, packet.Type);
            if (packet.Stat is null) return stats;
            stats.Add(packet.Stat);
            if (onEntry is not null) await onEntry((uint)stats.Count - 1, packet.Stat);
        }
    }

    public Task RequestAsync(uint id) => _peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketReq, ID = id });

    /// <summary>Reads DATA until <paramref name="files"/> files are complete; chunks must come in order per file.</summary>
    public async Task<(Dictionary<uint, byte[]> Contents, List<Packet> Packets)> ReadFilesAsync(int files)
    {
        var contents = new Dictionary<uint, List<byte>>();
        var packets = new List<Packet>();
        var complete = 0;
        while (complete < files)
        {
            var packet = _dataDuringListing.TryDequeue(out var early) ? early : await _peer.Reader.NextAsync();
            Assert.Equal(PacketType.PacketData, packet.Type);
            packets.Add(packet);
            var content = contents.TryGetValue(packet.ID, out var c) ? c : contents[packet.ID] = [];
            if (packet.Data.IsEmpty) complete++;
            else content.AddRange(packet.Data.ToByteArray());
        }
        return (contents.ToDictionary(p => p.Key, p => p.Value.ToArray()), packets);
    }

    public async Task FinishAsync()
    {
        await _peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketFin });
        Assert.Equal(PacketType.PacketFin, (await _peer.Reader.NextAsync()).Type);
        await Sending.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>The next packet the sender writes (for checking that it reports an error).</summary>
    public Task<Packet> NextAsync() => _peer.Reader.NextAsync();
}
