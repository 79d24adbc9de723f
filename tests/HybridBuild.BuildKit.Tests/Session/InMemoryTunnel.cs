using System.Buffers;
using System.IO.Pipelines;
using HybridBuild.BuildKit.Tests.Transport;

namespace HybridBuild.BuildKit.Tests.Session;

/// <summary>
/// Two connected in-memory streams, like the two ends of a session tunnel: what one end writes, the other reads.
/// Disposing an end is an end of stream for the other, as when the daemon drops a tunnel.
/// </summary>
internal static class InMemoryTunnel
{
    public static (Stream DaemonEnd, Stream SessionEnd) Create()
    {
        var toSession = new Pipe();
        var toDaemon = new Pipe();
        return (new PipeEnd(toDaemon.Reader, toSession.Writer), new PipeEnd(toSession.Reader, toDaemon.Writer));
    }

    private sealed class PipeEnd(PipeReader input, PipeWriter output) : DuplexTestStream
    {
        private int _disposed;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return 0;
            }

            var result = await input.ReadAsync(cancellationToken);
            var available = result.Buffer;
            if (result.IsCanceled || available.IsEmpty)
            {
                input.AdvanceTo(available.Start);
                return 0;
            }

            var count = (int)Math.Min(available.Length, buffer.Length);
            available.Slice(0, count).CopyTo(buffer.Span);
            input.AdvanceTo(available.GetPosition(count));
            return count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            await output.WriteAsync(buffer, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                // The peer reads an end of stream; a read pending on this end returns 0.
                output.Complete();
                input.CancelPendingRead();
            }

            base.Dispose(disposing);
        }
    }
}
