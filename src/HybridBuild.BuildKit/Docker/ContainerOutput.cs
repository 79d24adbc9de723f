using System.Text;
using Docker.DotNet;

namespace HybridBuild.BuildKit.Docker;

/// <summary>Passes a container's stdout (stream 1) and stderr (stream 2) on line by line, as they come.</summary>
internal static class ContainerOutput
{
    /// <summary>A line longer than this is passed on in pieces of it, so output without newlines cannot fill the node's memory.</summary>
    private const int MaxLine = 64 * 1024;

    public static async Task CopyAsync(MultiplexedStream stream, IBuildProgress output, TimeProvider clock, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var lines = new Dictionary<MultiplexedStream.TargetStream, (Decoder Decoder, StringBuilder Line)>();
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF) break;
            if (!lines.TryGetValue(read.Target, out var pending))
                lines[read.Target] = pending = (Encoding.UTF8.GetDecoder(), new StringBuilder());
            var chars = new char[Encoding.UTF8.GetMaxCharCount(read.Count)];
            var count = pending.Decoder.GetChars(buffer, 0, read.Count, chars, 0);
            foreach (var c in chars.AsSpan(0, count))
            {
                if (c != '\n') pending.Line.Append(c);
                if (c == '\n' || pending.Line.Length >= MaxLine) Emit(read.Target, pending.Line, output, clock);
            }
        }
        foreach (var (target, pending) in lines)
            if (pending.Line.Length > 0) Emit(target, pending.Line, output, clock);
    }

    private static void Emit(MultiplexedStream.TargetStream target, StringBuilder line, IBuildProgress output, TimeProvider clock)
    {
        var text = line.ToString().TrimEnd('\r');
        line.Clear();
        output.Log(new LogLine(null, target == MultiplexedStream.TargetStream.StandardError ? 2 : 1, text, clock.GetUtcNow()));
    }
}
