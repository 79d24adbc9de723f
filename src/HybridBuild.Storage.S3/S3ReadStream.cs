using Amazon.S3;
using Amazon.S3.Model;

namespace HybridBuild.Storage.S3;

/// <summary>
/// A seekable read of one object as ranged GETs: each read continues the current GET, and a seek starts the next one at
/// the new position. Windows start small and double (up to 64 MiB), so serving a small Range fetches little more than
/// it asks, and a whole-object read costs a handful of requests. The ETag is pinned (If-Match), so a read never
/// mixes two versions of an object.
/// </summary>
internal sealed class S3ReadStream(IAmazonS3 s3, string bucket, string key, long length, string etag) : Stream
{
    private const long FirstWindow = 1 << 20;
    private const long MaxWindow = 64L << 20;
    private GetObjectResponse? _response;
    private Stream? _body;
    private long _position;
    private long _bodyEnd; // exclusive end of the current GET's range
    private long _window = FirstWindow;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position >= length) return 0;
        if (_body is null || _position >= _bodyEnd) await OpenAsync(cancellationToken);
        var read = await _body!.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _bodyEnd - _position)], cancellationToken);
        if (read == 0) throw new IOException($"Object {key} ended at {_position} of {length} bytes.");
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        if (target != _position)
        {
            CloseBody();
            _window = FirstWindow;
            _position = target;
        }
        return _position;
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        CloseBody();
        var end = Math.Min(length, _position + _window);
        _window = Math.Min(_window * 2, MaxWindow);
        _response = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = key, ByteRange = new ByteRange(_position, end - 1), EtagToMatch = etag,
        }, cancellationToken);
        _body = _response.ResponseStream;
        _bodyEnd = end;
    }

    private void CloseBody()
    {
        _body?.Dispose();
        _response?.Dispose();
        (_body, _response) = (null, null);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) CloseBody();
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
