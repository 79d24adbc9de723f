namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>
/// Outgoing side of the tunnel's message format: a gRPC length-prefixed message (compression flag 0, big-endian
/// length) holding <c>moby.buildkit.v1.BytesMessage { bytes data = 1; }</c>, hand-encoded because it is one field.
/// </summary>
internal static class GrpcBytesMessage
{
    /// <summary>Writes are split into messages of at most this many payload bytes, well under any receive limit.</summary>
    public const int MaxPayload = 1 << 20;

    /// <summary>gRPC prefix (5) + tag (1) + varint length (at most 5 for an int).</summary>
    public const int MaxPrefixSize = 11;

    private const byte DataFieldTag = (1 << 3) | 2; // field 1, wire type 2 (length-delimited)

    /// <summary>Writes everything that precedes <paramref name="payloadLength"/> payload bytes; returns its size.</summary>
    public static int WritePrefix(Span<byte> destination, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayload);
        int varintSize = VarintSize((uint)payloadLength);
        destination[0] = 0; // not compressed: we never negotiate grpc-encoding
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)(1 + varintSize + payloadLength));
        destination[5] = DataFieldTag;
        uint remaining = (uint)payloadLength;
        int i = 6;
        while (remaining >= 0x80)
        {
            destination[i++] = (byte)(remaining | 0x80);
            remaining >>= 7;
        }
        destination[i++] = (byte)remaining;
        return i;
    }

    private static int VarintSize(uint value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }
}
