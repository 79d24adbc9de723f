using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>
/// The native engine streams an artifacts export to the stage's sink as BuildKit sends it, with nothing written to the
/// output directory; what the sink receives is what the buildx engine writes to disk, file for file.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class StreamedExportTests(EngineFixture fixture)
{
    [Fact]
    public async Task A_streamed_export_carries_the_files_bytes_and_modes_the_buildx_engine_writes_to_disk()
    {
        using var work = new Workspace()
            .With("Dockerfile", """
                FROM busybox AS build
                RUN mkdir -p /out/bin /out/empty /out/deep/er \
                 && printf 'tool' > /out/bin/tool && chmod 0755 /out/bin/tool \
                 && printf 'private' > /out/private && chmod 0600 /out/private \
                 && printf 'odd' > /out/odd && chmod 0604 /out/odd && : > /out/zero \
                 && ln /out/bin/tool /out/hard && ln -s bin/tool /out/link \
                 && dd if=/dev/urandom of=/out/deep/er/big bs=1024 count=3000 2>/dev/null
                FROM scratch
                COPY --from=build /out /
                """);
        var sink = new RecordingSink();

        var native = await EngineComparisonTests.BuildAsync(fixture.Native, work, EngineComparisonTests.Artifacts, work.Output("native"), sink: sink);
        var buildx = await EngineComparisonTests.BuildAsync(fixture.Buildx, work, EngineComparisonTests.Artifacts, work.Output("buildx"));

        Assert.True(native.Succeeded, native.Error);
        Assert.True(buildx.Succeeded, buildx.Error);
        Assert.True(native.ExportStreamed);
        Assert.False(buildx.ExportStreamed);
        Assert.False(Directory.Exists(work.Output("native")) && Directory.EnumerateFileSystemEntries(work.Output("native")).Any(),
            "the streamed export also wrote to the output directory");
        var onDisk = Workspace.Describe(work.Output("buildx")).Where(e => !e.Value.StartsWith("dir ", StringComparison.Ordinal));
        Assert.Equal(onDisk, sink.Received);
        Assert.StartsWith("file 644 3072000 ", sink.Received["deep/er/big"]);
        Assert.Equal(sink.Received["bin/tool"], sink.Received["hard"]);
        Assert.Equal(0, sink.Abandoned);
    }

    [Fact]
    public async Task A_streamed_multi_platform_export_keeps_one_folder_per_platform()
    {
        using var work = new Workspace()
            .With("Dockerfile", "FROM scratch\nARG TARGETPLATFORM\nCOPY payload.txt /payload.txt\n")
            .With("payload.txt", "same everywhere\n");
        var sink = new RecordingSink();

        var native = await EngineComparisonTests.BuildAsync(fixture.Native, work, EngineComparisonTests.Artifacts, work.Output("native"), platforms: ["linux/amd64", "linux/arm64"], sink: sink);

        Assert.True(native.Succeeded, native.Error);
        Assert.Equal(["linux_amd64/payload.txt", "linux_arm64/payload.txt"], sink.Received.Keys);
        Assert.Single(sink.Received.Values.Distinct());
    }

    [Fact]
    public async Task A_sink_that_refuses_a_file_fails_the_solve_with_its_reason_and_every_open_file_is_abandoned()
    {
        using var work = new Workspace()
            .With("Dockerfile", """
                FROM busybox AS build
                RUN mkdir /out && for i in 1 2 3 4 5 6; do dd if=/dev/urandom of=/out/file$i bs=1024 count=2000 2>/dev/null; done
                FROM scratch
                COPY --from=build /out /
                """);
        var sink = new RecordingSink { Refuse = "file4" };

        var native = await EngineComparisonTests.BuildAsync(fixture.Native, work, EngineComparisonTests.Artifacts, work.Output("native"), sink: sink);

        Assert.False(native.Succeeded);
        Assert.Contains("file4 is refused", native.Error);
        Assert.Equal(sink.Opened, sink.Received.Count + sink.Abandoned);
    }

    /// <summary>Hashes what it is sent, as a blob write does, and records each entry as <see cref="Workspace.Describe"/> does.</summary>
    private sealed class RecordingSink : IExportSink
    {
        private int _opened;
        private int _abandoned;

        public string? Refuse { get; init; }

        public SortedDictionary<string, string> Received { get; } = new(StringComparer.Ordinal);

        public int Opened => _opened;

        public int Abandoned => _abandoned;

        public ValueTask<Stream> OpenFileAsync(string path, CancellationToken cancellationToken)
        {
            if (path == Refuse) throw new IOException($"{path} is refused");
            Interlocked.Increment(ref _opened);
            return ValueTask.FromResult<Stream>(new HashingStream(this));
        }

        public ValueTask CompleteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken)
        {
            var file = (HashingStream)content;
            file.Completed = true;
            lock (Received) Received[path] = $"file {Convert.ToString((int)mode, 8)} {file.Length} {Convert.ToHexString(file.Hash.GetHashAndReset())}";
            return ValueTask.CompletedTask;
        }

        public ValueTask LinkAsync(string path, string source, CancellationToken cancellationToken)
        {
            lock (Received) Received[path] = Received[source];
            return ValueTask.CompletedTask;
        }

        public void SymbolicLink(string path, string target)
        {
            lock (Received) Received[path] = $"link -> {target}";
        }

        private sealed class HashingStream(RecordingSink sink) : Stream
        {
            private long _length;

            public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

            public bool Completed { get; set; }

            public override void Write(byte[] buffer, int offset, int count)
            {
                Hash.AppendData(buffer, offset, count);
                _length += count;
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing && !Completed) Interlocked.Increment(ref sink._abandoned);
                base.Dispose(disposing);
            }

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _length;
            public override long Position { get => _length; set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
