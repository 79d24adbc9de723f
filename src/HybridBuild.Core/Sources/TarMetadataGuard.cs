using System.Text;

namespace HybridBuild.Core.Sources;

/// <summary>
/// Sits between an uploaded archive and <see cref="System.Formats.Tar.TarReader"/>, which reads PAX and GNU
/// long-name metadata whole into memory: it follows the tar block structure as bytes pass and refuses a
/// metadata entry larger than <see cref="MaxMetadataBytes"/>, and more bytes in all than the limit allows,
/// before they are read.
/// </summary>
internal sealed class TarMetadataGuard(Stream inner, long maxTotalBytes) : Stream
{
    public const int MaxMetadataBytes = 1 << 20;
    /// <summary>All metadata of one archive together; honest archives need a few bytes per entry.</summary>
    public const long MaxTotalMetadataBytes = 64L << 20;
    private const int Block = 512;

    private readonly byte[] _header = new byte[Block];
    private int _headerFill;
    private long _position;
    private long _nextHeader;          // where the next header block starts
    private MemoryStream? _pax;        // data of a PAX header being read, to learn a 'size' override
    private long _paxEnd;
    private long? _sizeOverride;       // from the PAX header that precedes an entry
    private long _metadata;            // bytes of metadata entries so far
    private char _previousType;        // the type of the header before this one

    public override int Read(byte[] buffer, int offset, int count) => Inspect(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override int Read(Span<byte> buffer) => Inspect(buffer[..inner.Read(buffer)]);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Inspect(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Inspect(ReadOnlySpan<byte> data)
    {
        if (_position + data.Length > maxTotalBytes)
            throw new PayloadTooLargeException($"The context extracts to more than {maxTotalBytes} bytes.");
        var index = 0;
        while (index < data.Length)
        {
            var at = _position + index;
            if (at >= _nextHeader && at < _nextHeader + Block)
            {
                var take = (int)Math.Min(data.Length - index, _nextHeader + Block - at);
                data.Slice(index, take).CopyTo(_header.AsSpan(_headerFill));
                _headerFill += take;
                index += take;
                if (_headerFill == Block) ReadHeader();
                continue;
            }
            if (_pax is not null && at < _paxEnd)
            {
                var take = (int)Math.Min(data.Length - index, _paxEnd - at);
                _pax.Write(data.Slice(index, take));
                index += take;
                if (_position + index == _paxEnd) ReadPaxSize();
                continue;
            }
            // file data: skip to the next header, or to the end of this read
            index += (int)Math.Min(data.Length - index, Math.Max(1, _nextHeader - at));
        }
        _position += data.Length;
        return data.Length;
    }

    private void ReadHeader()
    {
        _headerFill = 0;
        var start = _nextHeader;
        if (!_header.AsSpan().ContainsAnyExcept((byte)0)) { _nextHeader += Block; return; } // end-of-archive blocks
        var type = (char)_header[156];
        var size = ParseSize();
        if (type is 'x' or 'g' or 'L' or 'K')
        {
            if (size > MaxMetadataBytes)
                throw new InvalidContextException($"The context has a tar metadata entry of {size} bytes; at most {MaxMetadataBytes} are accepted.");
            _metadata += size;
            if (_metadata > MaxTotalMetadataBytes)
                throw new InvalidContextException($"The context has more than {MaxTotalMetadataBytes} bytes of tar metadata.");
            // TarReader reads PAX after GNU long-name headers differently from tar tools: such archives are refused, not guessed at
            if (type is 'x' or 'g' && _previousType is 'L' or 'K')
                throw new InvalidContextException("The context mixes GNU long-name and PAX headers for one entry.");
            if (type == 'x') { _pax = new MemoryStream(); _paxEnd = start + Block + size; }
        }
        else
        {
            if (_sizeOverride is { } real) size = real;
            _sizeOverride = null;
        }
        if (size < 0) throw new InvalidContextException("The context has a tar entry with a negative size.");
        _previousType = type;
        _nextHeader = start + Block + (size + Block - 1) / Block * Block;
    }

    private long ParseSize()
    {
        var field = _header.AsSpan(124, 12);
        if ((field[0] & 0x80) != 0) // base-256, for sizes that octal cannot hold
        {
            if ((field[0] & 0x7F) != 0 || field[1..4].ContainsAnyExcept((byte)0))
                throw new InvalidContextException("The context has a tar entry whose size does not fit in 63 bits.");
            long value = 0;
            foreach (var b in field[4..]) value = (value << 8) | b;
            if (value < 0) throw new InvalidContextException("The context has a tar entry whose size does not fit in 63 bits.");
            return value;
        }
        var text = Encoding.ASCII.GetString(field).Trim(' ', '\0');
        try
        {
            return text.Length == 0 ? 0 : Convert.ToInt64(text, 8);
        }
        catch (FormatException)
        {
            throw new InvalidContextException("The context is not a tar archive (a header has no valid size).");
        }
    }

    private void ReadPaxSize()
    {
        foreach (var record in Encoding.UTF8.GetString(_pax!.ToArray()).Split('\n'))
        {
            var space = record.IndexOf(' ');
            if (space > 0 && record[(space + 1)..].StartsWith("size=", StringComparison.Ordinal)
                && long.TryParse(record[(space + 1 + "size=".Length)..], out var size))
                _sizeOverride = size;
        }
        _pax = null;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
