using System.Security.Cryptography;

namespace HybridBuild.Testing;

/// <summary>
/// A read-only, non-seekable stream of deterministic pseudo-random bytes (the same for the same seed), so large
/// content needs no memory or disk, as an upload from the network would arrive. It can fail with an IOException at a
/// given position, and tell a callback how far it has been read.
/// </summary>
public sealed class GeneratedStream(long length, int seed, long failAt = -1, Action<long>? onRead = null) : Stream
{
    private ulong _state = (ulong)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL;
    private ulong _word;
    private int _left;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (failAt >= 0 && _position >= failAt) throw new IOException($"the source broke at byte {_position}");
        var count = (int)Math.Min(buffer.Length, (failAt >= 0 ? Math.Min(length, failAt) : length) - _position);
        if (count <= 0) return 0;
        for (var i = 0; i < count; i++)
        {
            if (_left == 0)
            {
                // xorshift64*: fast and the same everywhere
                _state ^= _state >> 12;
                _state ^= _state << 25;
                _state ^= _state >> 27;
                _word = _state * 0x2545F4914F6CDD1DUL;
                _left = 8;
            }
            buffer[i] = (byte)_word;
            _word >>= 8;
            _left--;
        }
        _position += count;
        onRead?.Invoke(_position);
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>The SHA-256 (lower-case hex) of the first <paramref name="length"/> bytes of the stream for <paramref name="seed"/>.</summary>
    public static string Sha256(long length, int seed)
    {
        using var stream = new GeneratedStream(length, seed);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
