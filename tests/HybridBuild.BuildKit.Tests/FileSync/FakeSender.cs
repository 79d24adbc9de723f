namespace HybridBuild.BuildKit.Tests.FileSync;

/// <summary>Plays the daemon's sending side against <see cref="FsutilReceiver"/>: a scripted listing, then DATA for each REQ.</summary>
internal static class FakeSender
{
    public static readonly ReceiveLimits NoLimits = new(long.MaxValue, long.MaxValue);

    /// <summary>Runs the receiver against the script; returns every packet it sent and its outcome.</summary>
    public static async Task<(List<Packet> FromReceiver, Exception? Failure)> RunAsync(
        string destination, IEnumerable<Stat?> listing, IReadOnlyDictionary<string, byte[]>? contents = null, ReceiveLimits? limits = null)
    {
        var (client, peer) = PacketStreams.CreatePair();
        var stats = listing.ToList();
        var receiving = Task.Run(async () =>
        {
            try
            {
                await FsutilReceiver.ReceiveAsync(destination, client.Reader, client.Writer, limits ?? NoLimits, CancellationToken.None);
            }
            finally
            {
                client.Writer.Complete(); // as the end of the gRPC call would
            }
        });

        foreach (var stat in stats) await peer.Writer.WriteAsync(stat is null ? new Packet() : new Packet { Type = PacketType.PacketStat, Stat = stat });
        if (stats.Count == 0 || stats[^1] is not null) await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketStat });

        var received = new List<Packet>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await peer.Reader.MoveNext(timeout.Token))
        {
            var packet = peer.Reader.Current;
            received.Add(packet);
            if (packet.Type == PacketType.PacketReq)
            {
                var stat = stats.Where(s => s is not null).ElementAt((int)packet.ID)!;
                var content = contents?.GetValueOrDefault(stat.Path) ?? [];
                for (var offset = 0; offset < content.Length; offset += 32 * 1024)
                {
                    var chunk = ByteString.CopyFrom(content, offset, Math.Min(32 * 1024, content.Length - offset));
                    await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketData, ID = packet.ID, Data = chunk });
                }
                await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketData, ID = packet.ID });
            }
            else if (packet.Type == PacketType.PacketFin)
            {
                await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketFin });
            }
        }

        try
        {
            await receiving.WaitAsync(TimeSpan.FromSeconds(10));
            return (received, null);
        }
        catch (FileTransferException e)
        {
            return (received, e);
        }
    }
}

/// <summary>STAT builders for scripted listings.</summary>
internal static class Stats
{
    public const long Time = 1_700_000_000_123_456_789;

    public static Stat Dir(string path, uint permissions = 0x1ED) => new() { Path = path, Mode = GoFileMode.Dir | permissions, ModTime = Time };
    public static Stat File(string path, long size = 0, uint mode = 0x1A4) => new() { Path = path, Mode = mode, Size = size, ModTime = Time };
    public static Stat Symlink(string path, string target) => new() { Path = path, Mode = GoFileMode.Symlink | 0x1FF, Size = target.Length, Linkname = target, ModTime = Time };
    public static Stat HardLink(string path, string target) => new() { Path = path, Mode = 0x1A4, Linkname = target, ModTime = Time };
}
