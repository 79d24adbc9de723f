using System.Threading.Channels;

namespace HybridBuild.BuildKit.Tests.FileSync;

/// <summary>Both ends of an in-memory DiffCopy call: what one side writes, the other reads.</summary>
internal sealed class PacketStreams
{
    private PacketStreams(Channel<Packet> fromUs, Channel<Packet> toUs)
    {
        Reader = new ChannelPacketReader(toUs.Reader);
        Writer = new ChannelPacketWriter(fromUs.Writer);
    }

    public ChannelPacketReader Reader { get; }
    public ChannelPacketWriter Writer { get; }

    public static (PacketStreams Client, PacketStreams Peer) CreatePair()
    {
        var a = Channel.CreateUnbounded<Packet>();
        var b = Channel.CreateUnbounded<Packet>();
        return (new PacketStreams(a, b), new PacketStreams(b, a));
    }
}

internal sealed class ChannelPacketReader(ChannelReader<Packet> reader) : IAsyncStreamReader<Packet>
{
    public Packet Current { get; private set; } = null!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            if (reader.TryRead(out var packet))
            {
                Current = packet;
                return true;
            }
        }
        return false;
    }

    /// <summary>The next packet, failing the test if the peer ends the stream or stays silent.</summary>
    public async Task<Packet> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await MoveNext(timeout.Token), "the stream ended early");
        return Current;
    }
}

/// <summary>
/// Behaves like a gRPC stream writer where it matters: a second write while one is pending throws, and the packet
/// is serialized at write time (so a buffer reused afterwards would show up as corrupted content).
/// </summary>
internal sealed class ChannelPacketWriter(ChannelWriter<Packet> writer) : IAsyncStreamWriter<Packet>
{
    private int _pending;

    public WriteOptions? WriteOptions { get; set; }
    public List<byte[]> Serialized { get; } = [];

    public async Task WriteAsync(Packet message)
    {
        if (Interlocked.Exchange(ref _pending, 1) == 1) throw new InvalidOperationException("Only one write can be pending at a time.");
        try
        {
            var bytes = Google.Protobuf.MessageExtensions.ToByteArray(message);
            lock (Serialized) Serialized.Add(bytes);
            await Task.Yield(); // keeps the write pending long enough for a concurrent one to collide
            await writer.WriteAsync(Packet.Parser.ParseFrom(bytes));
        }
        finally
        {
            Volatile.Write(ref _pending, 0);
        }
    }

    public void Complete() => writer.TryComplete();
}
