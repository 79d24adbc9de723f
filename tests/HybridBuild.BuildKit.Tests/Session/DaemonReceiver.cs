namespace HybridBuild.BuildKit.Tests.Session;

/// <summary>
/// The daemon's side of FileSync, reduced to what a test needs: take the listing, request every regular file,
/// collect the data, exchange FIN. Written here rather than reusing our receiver, so the test sees the wire.
/// </summary>
internal static class DaemonReceiver
{
    // Go's fs.ModeType: directory, symlink, device, named pipe, socket, char device, irregular.
    private const uint GoModeType = 0x8F280000;

    /// <summary>Path to content; null for entries that are not regular files.</summary>
    public static async Task<IReadOnlyDictionary<string, byte[]?>> ReceiveAsync(AsyncDuplexStreamingCall<Packet, Packet> call, CancellationToken ct)
    {
        var stats = new List<Stat>();
        while (true)
        {
            var packet = await NextAsync(call, ct);
            if (packet.Type != PacketType.PacketStat)
            {
                throw new InvalidOperationException($"expected a STAT, got {packet.Type}: {packet.Data.ToStringUtf8()}");
            }

            if (packet.Stat is null)
            {
                break;
            }

            stats.Add(packet.Stat);
        }

        var contents = new Dictionary<uint, MemoryStream>();
        for (var id = 0u; id < stats.Count; id++)
        {
            if ((stats[(int)id].Mode & GoModeType) == 0)
            {
                contents[id] = new MemoryStream();
                await call.RequestStream.WriteAsync(new Packet { Type = PacketType.PacketReq, ID = id }, ct);
            }
        }

        for (var open = contents.Count; open > 0;)
        {
            var packet = await NextAsync(call, ct);
            if (packet.Type != PacketType.PacketData)
            {
                throw new InvalidOperationException($"expected DATA, got {packet.Type}: {packet.Data.ToStringUtf8()}");
            }

            if (packet.Data.IsEmpty)
            {
                open--;
            }
            else
            {
                packet.Data.WriteTo(contents[packet.ID]);
            }
        }

        await call.RequestStream.WriteAsync(new Packet { Type = PacketType.PacketFin }, ct);
        var fin = await NextAsync(call, ct);
        if (fin.Type != PacketType.PacketFin)
        {
            throw new InvalidOperationException($"expected FIN, got {fin.Type}");
        }

        await call.RequestStream.CompleteAsync();
        return stats.Select((stat, id) => (stat.Path, Content: contents.GetValueOrDefault((uint)id)?.ToArray()))
            .ToDictionary(entry => entry.Path, entry => entry.Content);
    }

    private static async Task<Packet> NextAsync(AsyncDuplexStreamingCall<Packet, Packet> call, CancellationToken ct) =>
        await call.ResponseStream.MoveNext(ct)
            ? call.ResponseStream.Current
            : throw new InvalidOperationException("the session ended the transfer early");
}
