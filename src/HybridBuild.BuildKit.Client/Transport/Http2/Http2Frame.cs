namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>HTTP/2 frame types (RFC 9113 §6) that the session call reacts to.</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

/// <summary>The 9-byte frame header (RFC 9113 §4.1) and the few frames we build ourselves.</summary>
internal readonly record struct Http2Frame(int Length, Http2FrameType Type, byte Flags, int StreamId)
{
    public const int HeaderSize = 9;

    // Flag bits share values across frame types (END_STREAM and ACK are both 0x1).
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;

    /// <summary>What both sides assume until SETTINGS say otherwise (RFC 9113 §6.5.2).</summary>
    public const int DefaultMaxFrameSize = 16_384;
    public const int DefaultWindowSize = 65_535;
    public const int MaxWindowSize = int.MaxValue;

    public const ushort SettingEnablePush = 0x2;
    public const ushort SettingInitialWindowSize = 0x4;
    public const ushort SettingMaxFrameSize = 0x5;

    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public bool Has(byte flag) => (Flags & flag) != 0;

    public static Http2Frame Parse(ReadOnlySpan<byte> header) => new(
        (header[0] << 16) | (header[1] << 8) | header[2],
        (Http2FrameType)header[3],
        header[4],
        // The top bit is reserved and must be ignored on receipt.
        (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF));

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = (byte)(Length >> 16);
        destination[1] = (byte)(Length >> 8);
        destination[2] = (byte)Length;
        destination[3] = (byte)Type;
        destination[4] = Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)StreamId);
    }

    /// <summary>Writes a whole frame with a 4-byte payload (WINDOW_UPDATE, RST_STREAM); returns its size.</summary>
    public static int WriteUInt32Frame(Span<byte> destination, Http2FrameType type, int streamId, uint value)
    {
        new Http2Frame(4, type, 0, streamId).WriteTo(destination);
        BinaryPrimitives.WriteUInt32BigEndian(destination[HeaderSize..], value);
        return HeaderSize + 4;
    }

    /// <summary>Names an error code the way RFC 9113 §7 does, so a failed write says why the peer gave up.</summary>
    public static string DescribeError(uint code)
    {
        string name = code switch
        {
            0x0 => "NO_ERROR",
            0x1 => "PROTOCOL_ERROR",
            0x2 => "INTERNAL_ERROR",
            0x3 => "FLOW_CONTROL_ERROR",
            0x4 => "SETTINGS_TIMEOUT",
            0x5 => "STREAM_CLOSED",
            0x6 => "FRAME_SIZE_ERROR",
            0x7 => "REFUSED_STREAM",
            0x8 => "CANCEL",
            0x9 => "COMPRESSION_ERROR",
            0xa => "CONNECT_ERROR",
            0xb => "ENHANCE_YOUR_CALM",
            0xc => "INADEQUATE_SECURITY",
            0xd => "HTTP_1_1_REQUIRED",
            _ => "unknown error",
        };
        return $"{name} (0x{code:x})";
    }
}
