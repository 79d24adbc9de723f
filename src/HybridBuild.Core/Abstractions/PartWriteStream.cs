using System.Buffers;

namespace HybridBuild.Core.Abstractions;

/// <summary>
/// The write side of a remote store's <see cref="IBlobWrite"/>: content is gathered into pooled buffers of one part's
/// size, and each full buffer is handed to <c>sendPart</c> (numbered from 1) while the next one fills. At most
/// <c>maxInFlight</c> parts are out at once, so memory stays at that many parts whatever is written. Content that never
/// fills a part stays in <see cref="Pending"/>, for the store to put in one request.
/// </summary>
public sealed class PartWriteStream(int partSize, int maxInFlight, Func<int, ReadOnlyMemory<byte>, CancellationToken, Task> sendPart) : Stream
{
    private readonly Queue<(Task Sent, byte[] Buffer)> _inFlight = new();
    private byte[]? _current;
    private int _filled;
    private bool _finished;

    /// <summary>How many parts have been handed to the store.</summary>
    public int PartsSent { get; private set; }

    /// <summary>What was written but not sent: the whole content when no part was ever sent.</summary>
    public ReadOnlyMemory<byte> Pending => _current is null ? ReadOnlyMemory<byte>.Empty : _current.AsMemory(0, _filled);

    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_finished;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        cancellationToken.ThrowIfCancellationRequested();
        while (!buffer.IsEmpty)
        {
            _current ??= ArrayPool<byte>.Shared.Rent(partSize);
            var take = Math.Min(buffer.Length, partSize - _filled);
            buffer[..take].CopyTo(_current.AsMemory(_filled));
            _filled += take;
            Written += take;
            buffer = buffer[take..];
            if (_filled == partSize) await SendCurrentAsync(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <summary>Sends what is pending as the last part and waits for every part; the parts are then 1 to <see cref="PartsSent"/>.</summary>
    public async Task SendRestAsync(CancellationToken cancellationToken)
    {
        if (_filled > 0) await SendCurrentAsync(cancellationToken);
        _finished = true;
        while (_inFlight.Count > 0) await CompleteOldestAsync();
    }

    private async Task SendCurrentAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var buffer = _current!;
        // a part once started is not cancelled: a cancelled request may still land in the store after the write is
        // abandoned, where its cleanup (which waits for every part) would miss it; the next write or the commit stops
        _inFlight.Enqueue((sendPart(++PartsSent, buffer.AsMemory(0, _filled), CancellationToken.None), buffer));
        (_current, _filled) = (null, 0);
        while (_inFlight.Count >= maxInFlight) await CompleteOldestAsync();
    }

    private async Task CompleteOldestAsync()
    {
        var (sent, buffer) = _inFlight.Peek();
        try
        {
            await sent;
        }
        finally
        {
            _inFlight.Dequeue();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Waits for parts still out (no request may read a buffer once it is back in the pool), ignoring their failures.</summary>
    public override async ValueTask DisposeAsync()
    {
        _finished = true;
        while (_inFlight.Count > 0)
        {
            try { await CompleteOldestAsync(); }
            catch (Exception) { /* the write is being abandoned; its first failure was reported already */ }
        }
        if (_current is not null) ArrayPool<byte>.Shared.Return(_current);
        _current = null;
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && (_inFlight.Count > 0 || _current is not null)) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    /// <summary>A part as a readable stream over its pooled buffer (no copy), for a request body; a new one per try.</summary>
    public static MemoryStream Read(ReadOnlyMemory<byte> part) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(part, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(part.ToArray(), writable: false);

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
