using System.Security.Cryptography;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Passes a blob through while hashing it, and fails the read that would complete it when its size or sha256 is
/// not the descriptor's. Failing inside the read aborts the upload that is consuming it, so a corrupted or
/// substituted blob never reaches the destination (which would also refuse it, but this names the cause).
/// </summary>
internal sealed class VerifyingStream(Stream inner, string digest, long size) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => size;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    /// <summary>True once every byte was read and matched the digest.</summary>
    public bool Verified => _verified;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Account(buffer[..n], buffer.Length);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        Account(buffer.Span[..n], buffer.Length);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Account(ReadOnlySpan<byte> bytes, int requested)
    {
        if (bytes.Length == 0)
        {
            // the end of the source: everything must have arrived (an empty blob is verified here)
            if (requested > 0 && !_verified) Verify();
            return;
        }
        _read += bytes.Length;
        if (_read > size) throw new InvalidDataException($"blob {digest} is longer than its descriptor's {size} bytes");
        _hash.AppendData(bytes);
        if (_read == size) Verify();
    }

    private void Verify()
    {
        if (_read < size) throw new InvalidDataException($"blob {digest} ended after {_read} of {size} bytes");
        var actual = "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (actual != digest) throw new InvalidDataException($"blob {digest} arrived with digest {actual}");
        _verified = true;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
