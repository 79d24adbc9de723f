namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>The bytes that open the connection and the one request, sent as a single write.</summary>
internal sealed partial class Http2Tunnel
{
    private byte[] BuildOpening(byte[] headerBlock)
    {
        var output = new ArrayBufferWriter<byte>(256 + headerBlock.Length);
        output.Write(Http2Frame.ClientPreface);

        // ENABLE_PUSH=0: we never want server-initiated streams. INITIAL_WINDOW_SIZE: lets the daemon push file
        // data far ahead of our reader without waiting for a WINDOW_UPDATE round trip.
        Span<byte> settings = output.GetSpan(Http2Frame.HeaderSize + 12);
        new Http2Frame(12, Http2FrameType.Settings, 0, 0).WriteTo(settings);
        WriteSetting(settings[Http2Frame.HeaderSize..], Http2Frame.SettingEnablePush, 0);
        WriteSetting(settings[(Http2Frame.HeaderSize + 6)..], Http2Frame.SettingInitialWindowSize, (uint)_receiveWindow);
        output.Advance(Http2Frame.HeaderSize + 12);

        // SETTINGS cannot change the connection window (RFC 9113 §6.9.2); only WINDOW_UPDATE on stream 0 can.
        if (_receiveWindow > Http2Frame.DefaultWindowSize)
        {
            Span<byte> update = output.GetSpan(Http2Frame.HeaderSize + 4);
            output.Advance(Http2Frame.WriteUInt32Frame(
                update, Http2FrameType.WindowUpdate, 0, (uint)(_receiveWindow - Http2Frame.DefaultWindowSize)));
        }

        // The peer's SETTINGS have not arrived yet, so only the default frame size is safe for the header block.
        int offset = 0;
        Http2FrameType type = Http2FrameType.Headers;
        do
        {
            int size = Math.Min(headerBlock.Length - offset, Http2Frame.DefaultMaxFrameSize);
            bool last = offset + size == headerBlock.Length;
            Span<byte> frame = output.GetSpan(Http2Frame.HeaderSize + size);
            new Http2Frame(size, type, last ? Http2Frame.EndHeaders : (byte)0, StreamId).WriteTo(frame);
            headerBlock.AsSpan(offset, size).CopyTo(frame[Http2Frame.HeaderSize..]);
            output.Advance(Http2Frame.HeaderSize + size);
            offset += size;
            type = Http2FrameType.Continuation;
        }
        while (offset < headerBlock.Length);

        return output.WrittenSpan.ToArray();
    }

    private static void WriteSetting(Span<byte> destination, ushort id, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], value);
    }
}
