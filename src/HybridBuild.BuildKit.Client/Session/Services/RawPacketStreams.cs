namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Reads fsutil packets from a raw-bytes call.</summary>
internal sealed class RawPacketReader(IAsyncStreamReader<byte[]> inner) : IAsyncStreamReader<Packet>
{
    public Packet Current { get; private set; } = new();

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (!await inner.MoveNext(cancellationToken))
        {
            return false;
        }

        Current = Packet.Parser.ParseFrom(inner.Current);
        return true;
    }
}

/// <summary>Writes fsutil packets to a raw-bytes call, noting whether our FIN went out.</summary>
internal sealed class RawPacketWriter(IAsyncStreamWriter<byte[]> inner) : IAsyncStreamWriter<Packet>
{
    /// <summary>True once our FIN was written: as the receiver we send it only when everything has arrived.</summary>
    public bool FinSent { get; private set; }

    public WriteOptions? WriteOptions
    {
        get => inner.WriteOptions;
        set => inner.WriteOptions = value;
    }

    public async Task WriteAsync(Packet message)
    {
        await inner.WriteAsync(message.ToByteArray());
        FinSent |= message.Type == PacketType.PacketFin;
    }
}
