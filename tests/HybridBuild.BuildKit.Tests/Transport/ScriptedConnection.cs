namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>A connection whose reads return the given chunks one per read (then EOF) and whose writes are recorded.</summary>
internal sealed class ScriptedConnection(params byte[][] chunks) : Stream
{
    private readonly Queue<byte[]> _chunks = new(chunks);
    private byte[] _current = [];
    private int _offset;

    public MemoryStream Written { get; } = new();
    public bool Disposed { get; private set; }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_offset == _current.Length)
        {
            if (!_chunks.TryDequeue(out var next))
            {
                return 0;
            }
            (_current, _offset) = (next, 0);
        }
        var n = Math.Min(count, _current.Length - _offset);
        Array.Copy(_current, _offset, buffer, offset, n);
        _offset += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }
}
