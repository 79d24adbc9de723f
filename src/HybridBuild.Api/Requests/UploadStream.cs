using System.Security.Cryptography;
using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Errors;

namespace HybridBuild.Api.Requests;

/// <summary>
/// An uploaded context on its way from the request into a blob write: every byte read from it (by the archive's
/// validation, then by draining the rest) is counted against Limits:MaxArchiveBytes, hashed for the request's
/// fingerprint and written to the blob, so the context is stored as it arrives, with no spool file.
/// </summary>
internal sealed class UploadStream(Stream body, IBlobWrite blob, long maxBytes) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _replay = [];
    private int _replayed;
    private bool _discard;

    public long Total { get; private set; }

    /// <summary>Whether the upload starts with the gzip magic; those bytes are read again by the next reads.</summary>
    public async Task<bool> StartsWithGzipAsync(CancellationToken cancellationToken)
    {
        var head = new byte[2];
        var read = await ReadAtLeastAsync(head, 2, throwOnEndOfStream: false, cancellationToken);
        (_replay, _replayed) = (head[..read], 0);
        return read == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    /// <summary>Reads what the validation left (padding, a compressed trailer) into the blob too; returns the SHA-256 of it all.</summary>
    public async Task<string> FinishAsync(CancellationToken cancellationToken)
    {
        await CopyToAsync(Null, cancellationToken);
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <summary>
    /// Reads the rest only to count it, storing nothing: an archive refused part way is still refused for its size
    /// first (413 before 400), as when the whole upload was spooled before it was checked.
    /// </summary>
    public Task DiscardRestAsync(CancellationToken cancellationToken)
    {
        _discard = true;
        return CopyToAsync(Null, cancellationToken);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_replayed < _replay.Length)
        {
            var count = Math.Min(buffer.Length, _replay.Length - _replayed);
            _replay.AsMemory(_replayed, count).CopyTo(buffer);
            _replayed += count;
            return count;
        }
        var read = await body.ReadAsync(buffer, cancellationToken);
        if (read == 0) return 0;
        Total += read;
        if (Total > maxBytes) throw new PayloadTooLargeException($"The context is larger than {maxBytes} bytes (Limits:MaxArchiveBytes).");
        if (_discard) return read;
        _hash.AppendData(buffer.Span[..read]);
        try
        {
            await blob.Content.WriteAsync(buffer[..read], cancellationToken);
        }
        catch (IOException e)
        {
            // the store, not the request: not a 400 (the archive's validation would take an IOException for a bad archive)
            throw new StoreFailedException($"Could not store the uploaded context: {e.Message}", e);
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Total; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Not one of the exceptions the archive's validation turns into a 400.</summary>
    internal sealed class StoreFailedException(string message, Exception inner) : Exception(message, inner);
}
