using HybridBuild.BuildKit.Client.Protocol.FileSync;
using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Session;

public sealed class FileSendServiceTests : IDisposable
{
    private readonly TempDirectory _output = new();

    [Fact]
    public async Task A_file_export_writes_the_chunks_in_order_and_leaves_no_partial_file()
    {
        var target = Path.Combine(_output.Path, "image.tar");
        var session = new BuildSession("key") { Exports = { new SessionExport.Directory(_output.Path, 10, 10), new SessionExport.File(target) } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        using (var call = new FileSend.FileSendClient(loopback.Channel).DiffCopy(new Metadata { { "buildkit-attachable-exporter-id", "1" } }))
        {
            foreach (var chunk in new[] { "first ", "second ", "third" })
            {
                await call.RequestStream.WriteAsync(new BytesMessage { Data = ByteString.CopyFromUtf8(chunk) });
            }

            // The daemon half-closes at the end and waits for the call to complete.
            await call.RequestStream.CompleteAsync();
            Assert.False(await call.ResponseStream.MoveNext());
        }

        Assert.Equal("first second third", await File.ReadAllTextAsync(target));
        Assert.Equal([target], Directory.GetFiles(_output.Path));
        Assert.Null(session.ExportFailure);
    }

    [Fact]
    public async Task A_file_export_to_a_sink_is_one_file_completed_once_all_chunks_arrived()
    {
        var sink = new RecordingSink();
        var session = new BuildSession("key") { Exports = { new SessionExport.FileToSink(sink, "image.tar", 100) } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        using (var call = new FileSend.FileSendClient(loopback.Channel).DiffCopy())
        {
            foreach (var chunk in new[] { "oci ", "layout" })
                await call.RequestStream.WriteAsync(new BytesMessage { Data = ByteString.CopyFromUtf8(chunk) });
            await call.RequestStream.CompleteAsync();
            Assert.False(await call.ResponseStream.MoveNext());
        }

        Assert.Equal(("image.tar", "oci layout"), sink.Completed.Single());
        Assert.Null(session.ExportFailure);
    }

    [Fact]
    public async Task A_file_export_to_a_sink_past_its_limit_fails_and_completes_nothing()
    {
        var sink = new RecordingSink();
        var session = new BuildSession("key") { Exports = { new SessionExport.FileToSink(sink, "image.tar", 8) } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        using var call = new FileSend.FileSendClient(loopback.Channel).DiffCopy();
        await call.RequestStream.WriteAsync(new BytesMessage { Data = ByteString.CopyFromUtf8("more than eight bytes") });
        await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Empty(sink.Completed);
        Assert.Contains("more than 8 bytes", session.ExportFailure?.Message);
    }

    private sealed class RecordingSink : IExportFileSink
    {
        public List<(string Path, string Content)> Completed { get; } = [];

        public ValueTask<Stream> OpenFileAsync(string path, CancellationToken cancellationToken) => ValueTask.FromResult<Stream>(new MemoryStream());

        public ValueTask CompleteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken)
        {
            lock (Completed) Completed.Add((path, Encoding.UTF8.GetString(((MemoryStream)content).ToArray())));
            return ValueTask.CompletedTask;
        }

        public ValueTask LinkAsync(string path, string source, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public void SymbolicLink(string path, string target) { }
    }

    [Fact]
    public async Task Without_an_exporter_id_the_first_export_is_the_target()
    {
        var target = Path.Combine(_output.Path, "out.tar");
        var session = new BuildSession("key") { Exports = { new SessionExport.File(target) } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        using (var call = new FileSend.FileSendClient(loopback.Channel).DiffCopy())
        {
            await call.RequestStream.WriteAsync(new BytesMessage { Data = ByteString.CopyFromUtf8("tar") });
            await call.RequestStream.CompleteAsync();
            Assert.False(await call.ResponseStream.MoveNext());
        }

        Assert.Equal("tar", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task An_unknown_exporter_id_fails_the_call_and_is_recorded_for_the_solve()
    {
        var session = new BuildSession("key") { Exports = { new SessionExport.File(Path.Combine(_output.Path, "out.tar")) } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        using var call = new FileSend.FileSendClient(loopback.Channel).DiffCopy(new Metadata { { "buildkit-attachable-exporter-id", "3" } });
        var failure = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
        Assert.NotNull(session.ExportFailure);
        Assert.Empty(Directory.GetFileSystemEntries(_output.Path));
    }

    [Fact]
    public async Task A_directory_export_receives_the_tree_the_daemon_sends_as_fsutil_packets()
    {
        using var source = new TempDirectory();
        source.WriteFile("app/bin/tool", "#!/bin/sh\n"u8.ToArray());
        source.WriteFile("README", "read me"u8.ToArray());
        var session = new BuildSession("key") { Exports = { new SessionExport.Directory(_output.Path, 100, 1024 * 1024) } };
        await using var loopback = await SessionLoopback.StartAsync(session);
        using var timeout = new CancellationTokenSource(SessionLoopback.Patience);

        // The same path as the BytesMessage tests, but carrying packets, as BuildKit's local exporter does.
        var packets = new Method<Packet, Packet>(MethodType.DuplexStreaming, "moby.filesync.v1.FileSend", "DiffCopy",
            Marshallers.Create(static (Packet p) => p.ToByteArray(), Packet.Parser.ParseFrom),
            Marshallers.Create(static (Packet p) => p.ToByteArray(), Packet.Parser.ParseFrom));
        using var call = loopback.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(packets, null, new CallOptions(cancellationToken: timeout.Token));
        await FsutilSender.SendAsync(source.Path, SendFilter.None, call.ResponseStream, call.RequestStream, timeout.Token);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal("#!/bin/sh\n", await File.ReadAllTextAsync(Path.Combine(_output.Path, "app/bin/tool")));
        Assert.Equal("read me", await File.ReadAllTextAsync(Path.Combine(_output.Path, "README")));
        Assert.Null(session.ExportFailure);
    }

    [Fact]
    public async Task The_limits_of_a_directory_export_bound_all_its_streams_together()
    {
        using var amd64 = new TempDirectory();
        amd64.WriteFile("linux_amd64/app", "a"u8.ToArray());
        using var arm64 = new TempDirectory();
        arm64.WriteFile("linux_arm64/app", "b"u8.ToArray());
        // Each platform's stream has 2 entries; together they have 4, over the destination's limit of 3.
        var session = new BuildSession("key") { Exports = { new SessionExport.Directory(_output.Path, 3, 1024) } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        await SendDirectoryExportAsync(loopback, amd64.Path);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => SendDirectoryExportAsync(loopback, arm64.Path));

        Assert.Contains("more than 3 entries", refused.Message);
        Assert.NotNull(session.ExportFailure);
        Assert.False(Directory.Exists(Path.Combine(_output.Path, "linux_arm64")));
        Assert.Empty(StagingDirectories());
    }

    [Fact]
    public async Task A_directory_merged_from_two_streams_keeps_the_exported_mtime()
    {
        var exported = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        using var first = new TempDirectory();
        first.WriteFile("dir/a", "a"u8.ToArray());
        Directory.SetLastWriteTimeUtc(Path.Combine(first.Path, "dir"), exported);
        using var second = new TempDirectory();
        second.WriteFile("dir/b", "b"u8.ToArray());
        Directory.SetLastWriteTimeUtc(Path.Combine(second.Path, "dir"), exported);
        var session = new BuildSession("key") { Exports = { new SessionExport.Directory(_output.Path, 100, 1024) } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        // The second stream's "dir" meets the first one's in the destination, as with platform-split=false.
        await SendDirectoryExportAsync(loopback, first.Path);
        await SendDirectoryExportAsync(loopback, second.Path);

        Assert.True(File.Exists(Path.Combine(_output.Path, "dir/a")));
        Assert.True(File.Exists(Path.Combine(_output.Path, "dir/b")));
        Assert.Equal(exported, Directory.GetLastWriteTimeUtc(Path.Combine(_output.Path, "dir")));
    }

    [Fact]
    public async Task A_directory_export_is_in_place_before_the_daemon_hears_that_the_transfer_is_complete()
    {
        var session = new BuildSession("key") { Exports = { new SessionExport.Directory(_output.Path, 10, 1024) } };
        await using var loopback = await SessionLoopback.StartAsync(session);
        using var timeout = new CancellationTokenSource(SessionLoopback.Patience);
        using var call = loopback.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(PacketMethod, null, new CallOptions(cancellationToken: timeout.Token));
        await call.RequestStream.WriteAsync(new Packet { Type = PacketType.PacketStat, Stat = new Stat { Path = "app", Mode = 0x1A4, Size = 2 } });
        await call.RequestStream.WriteAsync(new Packet { Type = PacketType.PacketStat });
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(PacketType.PacketReq, call.ResponseStream.Current.Type);
        await call.RequestStream.WriteAsync(new Packet { Type = PacketType.PacketData, ID = 0, Data = ByteString.CopyFromUtf8("ok") });
        await call.RequestStream.WriteAsync(new Packet { Type = PacketType.PacketData, ID = 0 });

        // Our FIN is what lets the daemon finish the exporter and answer the Solve, before it even sends its own
        // FIN: the client may then read the destination, so the export must already be there.
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(PacketType.PacketFin, call.ResponseStream.Current.Type);
        Assert.Equal("ok", await File.ReadAllTextAsync(Path.Combine(_output.Path, "app")));

        await call.RequestStream.WriteAsync(new Packet { Type = PacketType.PacketFin });
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(timeout.Token));
        Assert.Null(session.ExportFailure);
        Assert.Empty(StagingDirectories());
    }

    private static readonly Method<Packet, Packet> PacketMethod = new(MethodType.DuplexStreaming, "moby.filesync.v1.FileSend", "DiffCopy",
        Marshallers.Create(static (Packet p) => p.ToByteArray(), Packet.Parser.ParseFrom),
        Marshallers.Create(static (Packet p) => p.ToByteArray(), Packet.Parser.ParseFrom));

    private IEnumerable<string> StagingDirectories() =>
        Directory.GetDirectories(Path.GetDirectoryName(_output.Path)!, $".{Path.GetFileName(_output.Path)}.*.partial");

    /// <summary>Plays the daemon's local exporter for one stream: our own fsutil sender, on FileSend carrying packets.</summary>
    private static async Task SendDirectoryExportAsync(SessionLoopback loopback, string source)
    {
        using var timeout = new CancellationTokenSource(SessionLoopback.Patience);
        var packets = new Method<Packet, Packet>(MethodType.DuplexStreaming, "moby.filesync.v1.FileSend", "DiffCopy",
            Marshallers.Create(static (Packet p) => p.ToByteArray(), Packet.Parser.ParseFrom),
            Marshallers.Create(static (Packet p) => p.ToByteArray(), Packet.Parser.ParseFrom));
        using var call = loopback.Channel.CreateCallInvoker().AsyncDuplexStreamingCall(packets, null, new CallOptions(cancellationToken: timeout.Token));
        try
        {
            await FsutilSender.SendAsync(source, SendFilter.None, call.ResponseStream, call.RequestStream, timeout.Token);
        }
        catch (FileTransferException)
        {
            // The session's ERR arrives before its handler has finished: wait for the call's status, which comes after.
            await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ResponseStream.MoveNext(timeout.Token)) { } });
            throw;
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(timeout.Token));
    }

    public void Dispose() => _output.Dispose();
}
