using HybridBuild.BuildKit.Client.Protocol.FileSync;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Writes a file export (a tar stream in <c>BytesMessage</c> chunks) so that the target appears only when complete.</summary>
internal static class FileExportWriter
{
    /// <summary>Hands the archive to <paramref name="sink"/> as one file, <paramref name="path"/>, completed only once the daemon has sent all of it.</summary>
    public static async Task WriteAsync(IExportFileSink sink, string path, IAsyncStreamReader<byte[]> requests, CancellationToken cancellationToken)
    {
        var content = await sink.OpenFileAsync(path, cancellationToken);
        var completed = false;
        try
        {
            await CopyAsync(requests, content, cancellationToken);
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
                await CopyAsync(requests, file, cancellationToken);
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

    private static async Task CopyAsync(IAsyncStreamReader<byte[]> requests, Stream destination, CancellationToken cancellationToken)
    {
        // The daemon half-closes after the last chunk; chunks arrive in order, one call per export.
        while (await requests.MoveNext(cancellationToken))
        {
            var chunk = BytesMessage.Parser.ParseFrom(requests.Current);
            await destination.WriteAsync(chunk.Data.Memory, cancellationToken);
        }
    }
}
