namespace HybridBuild.Application.Pipeline;

/// <summary>
/// A stage's artifacts streamed into blob storage as the engine receives them, with no copy in the work directory:
/// each file is hashed as it is written to a blob write and committed under its SHA-256 once complete. The records are
/// handed out (<see cref="Complete"/>) only when the solve has succeeded; until then, and when it fails or is cancelled,
/// disposing this removes the blobs it created that no artifact record references (blobs are shared by content).
/// The streams of a multi-platform export arrive concurrently.
/// </summary>
internal sealed class StreamedExport(ArtifactCollector collector, Stage stage, IBlobStore blobs, UnreferencedBlobs release, int maxEntries, LogSink log)
    : IExportSink, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Artifact> _artifacts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);
    private bool _kept;
    private bool _released;

    /// <summary>
    /// The span the files' blob writes go under (the solve's). The engine's session calls arrive in the context of its
    /// connection, not of the solve, so the parent is named here.
    /// </summary>
    public System.Diagnostics.Activity? Span { get; set; }

    public async ValueTask<Stream> OpenFileAsync(string path, CancellationToken cancellationToken)
    {
        // set inside this async method only: the caller's current activity is left as it was
        if (Span is not null) System.Diagnostics.Activity.Current = Span;
        try
        {
            ArtifactCollector.CheckPath(path);
        }
        catch (InvalidOperationException e)
        {
            throw new IOException(e.Message, e); // the receiver reports an I/O failure to the daemon and fails the solve with it
        }
        lock (_gate)
            if (_artifacts.Count >= maxEntries) throw new IOException($"the export holds more than {maxEntries} files (Limits:MaxEntries)");
        return new HashingStream(await blobs.BeginWriteAsync(null, cancellationToken));
    }

    public async ValueTask CompleteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        await using var file = (HashingStream)content;
        var sha256 = file.Sha256();
        var artifact = collector.Record(stage, path, file.Blob.Length, sha256, mode);
        var created = await file.Blob.CommitAsync(artifact.BlobKey, cancellationToken) == PutResult.Created;
        bool released;
        lock (_gate)
        {
            if (created) _created.Add(artifact.BlobKey);
            _artifacts[path] = artifact;
            released = _released;
        }
        // the stage ended while this file was being committed: its blob goes the way of the others
        if (released && created) await release.DeleteAsync(artifact.BlobKey);
    }

    public ValueTask LinkAsync(string path, string source, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var original = _artifacts.GetValueOrDefault(source) ?? throw new IOException($"hard link {path} names {source}, which was not received");
            _artifacts[path] = collector.Record(stage, path, original.Size, original.Sha256, (UnixFileMode)original.Mode);
        }
        return ValueTask.CompletedTask;
    }

    public void SymbolicLink(string path, string target) => ArtifactCollector.NoteSkipped(log, path, symbolicLink: true);

    /// <summary>The solve succeeded: the records, by path; the blobs stay.</summary>
    public List<Artifact> Complete()
    {
        List<Artifact> artifacts;
        lock (_gate)
        {
            _kept = true;
            artifacts = [.. _artifacts.Values.OrderBy(a => a.Path, StringComparer.Ordinal)];
        }
        ArtifactCollector.NoteStored(log, artifacts);
        return artifacts;
    }

    /// <summary>Removes what was received so far (the solve runs again on another builder, or failed).</summary>
    public async Task ReleaseAsync()
    {
        List<string> created;
        lock (_gate)
        {
            created = [.. _created];
            _created.Clear();
            _artifacts.Clear();
        }
        foreach (var key in created) await release.DeleteAsync(key);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_kept) return;
            _released = true;
        }
        await ReleaseAsync();
    }

    /// <summary>A file's content on its way into a blob write, hashed as it passes; disposing it abandons an uncommitted write.</summary>
    private sealed class HashingStream(IBlobWrite write) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public IBlobWrite Blob => write;

        public string Sha256() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            await write.Content.WriteAsync(buffer, cancellationToken);
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask DisposeAsync()
        {
            _hash.Dispose();
            await write.DisposeAsync();
            await base.DisposeAsync();
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => write.Length;
        public override long Position { get => write.Length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
