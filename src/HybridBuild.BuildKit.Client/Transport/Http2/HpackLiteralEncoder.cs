namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>
/// The smallest HPACK encoder that is still correct (RFC 7541): every field is a "literal header field without
/// indexing — new name" (§6.2.2) with raw, non-Huffman strings. It never touches the dynamic table, so the
/// decoder's state never depends on ours, and each call emits exactly one field — which is the point: repeated
/// names stay separate fields instead of being joined with commas.
/// </summary>
internal static class HpackLiteralEncoder
{
    private const byte LiteralWithoutIndexingNewName = 0x00;

    /// <summary>Appends one field; name and value must already be validated ASCII.</summary>
    public static void WriteField(IBufferWriter<byte> output, string name, string value)
    {
        Span<byte> first = output.GetSpan(1);
        first[0] = LiteralWithoutIndexingNewName;
        output.Advance(1);
        WriteString(output, name);
        WriteString(output, value);
    }

    // §5.2: the H bit (0x80) stays clear because the octets are sent as they are.
    private static void WriteString(IBufferWriter<byte> output, string text)
    {
        WriteInteger(output, text.Length, prefixBits: 7, firstByteFlags: 0);
        Span<byte> span = output.GetSpan(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }
        output.Advance(text.Length);
    }

    /// <summary>Integer representation with an N-bit prefix (RFC 7541 §5.1).</summary>
    internal static void WriteInteger(IBufferWriter<byte> output, int value, int prefixBits, byte firstByteFlags)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        int prefixMax = (1 << prefixBits) - 1;
        Span<byte> span = output.GetSpan(6); // 7-bit groups of an int need at most 5 bytes after the prefix
        if (value < prefixMax)
        {
            span[0] = (byte)(firstByteFlags | value);
            output.Advance(1);
            return;
        }

        span[0] = (byte)(firstByteFlags | prefixMax);
        int written = 1;
        value -= prefixMax;
        while (value >= 0x80)
        {
            span[written++] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }
        span[written++] = (byte)value;
        output.Advance(written);
    }
}
