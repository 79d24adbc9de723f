using HybridBuild.BuildKit.Client.FileSync;
using HybridBuild.BuildKit.Client.Protocol.FileSync;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Writes a file export (a tar stream in <c>BytesMessage</c> chunks) so that the target appears only when complete.</summary>
internal static class FileExportWriter
{
    /// <summary>
    /// Hands the archive to <paramref name="sink"/> as one file, <paramref name="path"/>, completed only once the daemon
    /// has sent all of it; an archive of more than <paramref name="maxBytes"/> fails the transfer.
    /// </summary>
    public static async Task WriteAsync(IExportFileSink sink, string path, long maxBytes, IAsyncStreamReader<byte[]> requests, CancellationToken cancellationToken)
    {
        var content = await sink.OpenFileAsync(path, cancellationToken);
        var completed = false;
        try
        {
            await CopyAsync(requests, content, maxBytes, cancellationToken);
            completed = true;
            await sink.CompleteFileAsync(path, content, (UnixFileMode)0b110_100_100, cancellationToken);
        }
        finally
        {
            // an archive that stopped short is abandoned; a completed one belongs to the sink
            if (!completed)
            {
                await content.DisposeAsync();
            }
        }
    }

    public static async Task WriteAsync(string path, IAsyncStreamReader<byte[]> requests, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var partial = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
            {
                await CopyAsync(requests, file, long.MaxValue, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }

            File.Move(partial, full, overwrite: true);
        }
        finally
        {
            // Gone after a successful move; a half-written archive must not linger.
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }

    private static async Task CopyAsync(IAsyncStreamReader<byte[]> requests, Stream destination, long maxBytes, CancellationToken cancellationToken)
    {
        long total = 0;
        // The daemon half-closes after the last chunk; chunks arrive in order, one call per export.
        while (await requests.MoveNext(cancellationToken))
        {
            var chunk = BytesMessage.Parser.ParseFrom(requests.Current);
            total += chunk.Data.Length;
            if (total > maxBytes)
            {
                throw FileTransferException.TooLarge(maxBytes);
            }

            await destination.WriteAsync(chunk.Data.Memory, cancellationToken);
        }
    }
}
