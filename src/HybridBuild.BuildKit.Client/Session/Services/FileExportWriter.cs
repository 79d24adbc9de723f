using HybridBuild.BuildKit.Client.Protocol.FileSync;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Writes a file export (a tar stream in <c>BytesMessage</c> chunks) so that the target appears only when complete.</summary>
internal static class FileExportWriter
{
    public static async Task WriteAsync(string path, IAsyncStreamReader<byte[]> requests, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var partial = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous))
            {
                // The daemon half-closes after the last chunk; chunks arrive in order, one call per export.
                while (await requests.MoveNext(cancellationToken))
                {
                    var chunk = BytesMessage.Parser.ParseFrom(requests.Current);
                    await file.WriteAsync(chunk.Data.Memory, cancellationToken);
                }

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
}
