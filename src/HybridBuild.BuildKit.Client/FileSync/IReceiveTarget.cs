namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// Where a receive puts what it has validated: a directory on disk (<see cref="DestinationTree"/>) or a caller's sink
/// (<see cref="SinkTarget"/>). Entries come in the listing's order; a file's content after its STAT.
/// </summary>
internal interface IReceiveTarget
{
    void CreateDirectory(string path);

    void CreateSymlink(string path, string target);

    ValueTask<Stream> CreateFileAsync(ReceivedEntry entry, CancellationToken ct);

    /// <summary>All of the file's content has been written to <paramref name="file"/>; the target owns it from here on.</summary>
    ValueTask CompleteFileAsync(Stream file, ReceivedEntry entry, CancellationToken ct);

    /// <summary>Made once every file is complete, so <paramref name="source"/> is.</summary>
    Task CreateHardLinkAsync(ReceivedEntry entry, ReceivedEntry source, CancellationToken ct);

    /// <summary>Run once every entry exists, children first.</summary>
    void CompleteDirectory(ReceivedEntry entry);
}

/// <summary>Hands a receive to an <see cref="IExportFileSink"/>: nothing reaches the disk, so there are no links to follow.</summary>
internal sealed class SinkTarget(IExportFileSink sink) : IReceiveTarget
{
    public void CreateDirectory(string path) { }

    public void CreateSymlink(string path, string target) => sink.SymbolicLink(path, target);

    public ValueTask<Stream> CreateFileAsync(ReceivedEntry entry, CancellationToken ct) => sink.OpenFileAsync(entry.Path, ct);

    public ValueTask CompleteFileAsync(Stream file, ReceivedEntry entry, CancellationToken ct) =>
        sink.CompleteFileAsync(entry.Path, file, DestinationTree.SafeMode(entry.Mode), ct);

    public Task CreateHardLinkAsync(ReceivedEntry entry, ReceivedEntry source, CancellationToken ct) =>
        sink.LinkAsync(entry.Path, source.Path, ct).AsTask();

    public void CompleteDirectory(ReceivedEntry entry) { }
}
