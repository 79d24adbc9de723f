namespace HybridBuild.BuildKit.Client;

/// <summary>
/// Takes a <c>local</c> export file by file as the daemon sends it (<see cref="ExportRequest.LocalFiles"/>), instead of
/// writing it into a directory. Everything the daemon sends is validated first, as for a directory (clean paths in
/// order, under directories it listed, within the limits); directories themselves are not passed on. The streams of a
/// multi-platform export arrive concurrently, so the calls may too.
/// </summary>
public interface IExportFileSink
{
    /// <summary>A regular file at <paramref name="path"/> (relative, <c>/</c>-separated) starts: where its content goes.</summary>
    ValueTask<Stream> OpenFileAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// All of <paramref name="path"/>'s content has been written to <paramref name="content"/> (the stream
    /// <see cref="OpenFileAsync"/> returned, which the sink owns from here on). <paramref name="mode"/> is its
    /// permission bits, without setuid and setgid. A stream that was opened and never completed is disposed: the
    /// transfer failed or was cancelled.
    /// </summary>
    ValueTask CompleteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken);

    /// <summary><paramref name="path"/> is a hard link to <paramref name="source"/>, a file completed earlier in the same stream.</summary>
    ValueTask LinkAsync(string path, string source, CancellationToken cancellationToken);

    /// <summary><paramref name="path"/> is a symbolic link (to <paramref name="target"/>); it has no content to take.</summary>
    void SymbolicLink(string path, string target);
}
