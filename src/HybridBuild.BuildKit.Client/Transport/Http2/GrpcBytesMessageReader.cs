using System.IO.Pipelines;

namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>
/// Incoming side of the tunnel: turns the raw DATA bytes of the response into the concatenated <c>data</c> fields
/// of the <c>BytesMessage</c>s. It streams: a field's bytes are handed out as they arrive, so a message never has
/// to be buffered whole. Other fields are skipped by wire type. Encoders emit field 1 once (proto3 does), so every
/// occurrence is delivered rather than keeping only the last, as a strict parser of a scalar field would.
/// </summary>
internal sealed class GrpcBytesMessageReader(PipeReader source)
{
    private long _messageLeft;   // body bytes of the current gRPC message not yet consumed
    private long _payloadLeft;   // bytes of the current data field still to hand out
    private long _skipLeft;      // bytes of an unknown field still to skip
    private long _consumed;      // input bytes consumed since the last TakeConsumed, for flow-control credit

    /// <summary>True between a message's prefix and its last byte: ending here means a torn message.</summary>
    public bool InsideMessage { get; private set; }

    /// <summary>Returns and resets the number of input bytes consumed, which the caller credits back to the peer.</summary>
    public long TakeConsumed()
    {
        long consumed = _consumed;
        _consumed = 0;
        return consumed;
    }

    /// <summary>Reads payload bytes; 0 only when the input has ended (or the pending read was cancelled by the owner).</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await source.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            int delivered = Decode(ref buffer, destination.Span);
            _consumed += result.Buffer.Length - buffer.Length;
            if (delivered > 0)
            {
                source.AdvanceTo(buffer.Start);
                return delivered;
            }

            // Nothing more can be decoded from what is there: ask for more than we have seen.
            source.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return 0;
            }
        }
    }

    private int Decode(ref ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        int written = 0;
        while (true)
        {
            if (_payloadLeft > 0)
            {
                int n = (int)Math.Min(Math.Min(_payloadLeft, buffer.Length), destination.Length - written);
                if (n == 0)
                {
                    return written;
                }
                buffer.Slice(0, n).CopyTo(destination[written..]);
                buffer = buffer.Slice(n);
                written += n;
                _payloadLeft -= n;
                _messageLeft -= n;
            }
            else if (_skipLeft > 0)
            {
                long n = Math.Min(_skipLeft, buffer.Length);
                if (n == 0)
                {
                    return written;
                }
                buffer = buffer.Slice(n);
                _skipLeft -= n;
                _messageLeft -= n;
            }
            else if (!InsideMessage)
            {
                if (!TryReadMessagePrefix(ref buffer))
                {
                    return written;
                }
            }
            else if (_messageLeft == 0)
            {
                InsideMessage = false;
            }
            else if (!TryReadFieldHeader(ref buffer))
            {
                return written;
            }
        }
    }

    private bool TryReadMessagePrefix(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 5)
        {
            return false;
        }
        Span<byte> prefix = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(prefix);
        if (prefix[0] != 0)
        {
            throw new IOException("The peer sent a compressed gRPC message, although no compression was negotiated.");
        }
        _messageLeft = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        InsideMessage = true;
        buffer = buffer.Slice(5);
        return true;
    }

    // A field header is a tag and, for length-delimited fields, a length: parse both or neither.
    private bool TryReadFieldHeader(ref ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!TryReadVarint(ref reader, out ulong tag))
        {
            return false;
        }
        long field = (long)(tag >> 3);
        long bodyLength;
        switch ((int)(tag & 7))
        {
            case 0:
                if (!TryReadVarint(ref reader, out _))
                {
                    return false;
                }
                bodyLength = 0;
                break;
            case 1:
                bodyLength = 8;
                break;
            case 5:
                bodyLength = 4;
                break;
            case 2:
                if (!TryReadVarint(ref reader, out ulong length))
                {
                    return false;
                }
                bodyLength = length > int.MaxValue ? long.MaxValue : (long)length;
                break;
            default:
                throw Malformed($"wire type {tag & 7}");
        }
        // Compared without adding to bodyLength: a claimed length near long.MaxValue would overflow the sum.
        if (field == 0 || bodyLength > _messageLeft - reader.Consumed)
        {
            throw Malformed("a field that does not fit its message");
        }

        _messageLeft -= reader.Consumed;
        buffer = buffer.Slice(reader.Consumed);
        if (field == 1 && (tag & 7) == 2)
        {
            _payloadLeft = bodyLength;
        }
        else
        {
            _skipLeft = bodyLength;
        }
        return true;
    }

    // Never reads past the current message, so a corrupt varint cannot swallow the next prefix.
    private bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (reader.Consumed >= _messageLeft)
            {
                throw Malformed("a varint that runs past its message");
            }
            if (!reader.TryRead(out byte b))
            {
                return false;
            }
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }
        throw Malformed("a varint longer than 10 bytes");
    }

    private static IOException Malformed(string what) =>
        new($"The peer sent a malformed BytesMessage: {what}.");
}
