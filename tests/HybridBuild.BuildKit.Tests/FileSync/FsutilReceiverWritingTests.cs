namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class FsutilReceiverWritingTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private async Task<List<Packet>> ReceiveAsync(IEnumerable<Stat> listing, Dictionary<string, byte[]>? contents = null)
    {
        var (fromReceiver, failure) = await FakeSender.RunAsync(_tree.PathOf("out"), listing, contents);
        Assert.Null(failure);
        return fromReceiver;
    }

    [Fact]
    public async Task Every_regular_file_is_requested_once_by_its_listing_index_and_FIN_comes_last()
    {
        var packets = await ReceiveAsync([Stats.Dir("d"), Stats.File("d/a", 1), Stats.Symlink("l", "d/a"), Stats.File("z", 1), Stats.HardLink("zz", "z")],
            new() { ["d/a"] = "A"u8.ToArray(), ["z"] = "Z"u8.ToArray() });

        Assert.Equal([1u, 3u], packets.Where(p => p.Type == PacketType.PacketReq).Select(p => p.ID).Order());
        Assert.Equal(PacketType.PacketFin, packets[^1].Type);
        Assert.Single(packets, p => p.Type == PacketType.PacketFin);
    }

    [Fact]
    public async Task Files_get_their_content_permissions_and_nanosecond_mtimes()
    {
        var big = new byte[200_000];
        new Random(7).NextBytes(big);
        await ReceiveAsync([Stats.File("big", big.Length, 0x1A4), Stats.File("exec", 2, 0x1ED), Stats.File("odd", 0, 0x184), Stats.File("private", 1, 0x1C0)],
            new() { ["big"] = big, ["exec"] = "#!"u8.ToArray(), ["private"] = "p"u8.ToArray() });

        Assert.Equal(big, File.ReadAllBytes(_tree.PathOf("out/big")));
        Assert.Equal("#!", File.ReadAllText(_tree.PathOf("out/exec")));
        Assert.Equal(0x81A4u, _tree.Lstat("out/big").Mode);
        Assert.Equal(0x81EDu, _tree.Lstat("out/exec").Mode);
        Assert.Equal(0x8184u, _tree.Lstat("out/odd").Mode);
        Assert.Equal(0x81C0u, _tree.Lstat("out/private").Mode);
        Assert.Equal(Stats.Time, _tree.Lstat("out/big").ModTimeNanoseconds);
        Assert.Equal(Stats.Time, _tree.Lstat("out/odd").ModTimeNanoseconds);
    }

    [Fact]
    public async Task Setuid_and_setgid_are_stripped_but_the_sticky_bit_stays()
    {
        await ReceiveAsync([new Stat { Path = "dir", Mode = GoFileMode.Dir | GoFileMode.Sticky | GoFileMode.Setgid | 0x1FF }, Stats.File("suid", 0, GoFileMode.Setuid | 0x1ED)]);

        Assert.Equal(0x81EDu, _tree.Lstat("out/suid").Mode);
        Assert.Equal(0x43FFu, _tree.Lstat("out/dir").Mode);
    }

    [Fact]
    public async Task Symlinks_are_created_as_links_and_never_followed()
    {
        var outside = _tree.File("outside/target", "untouched").PathOf("outside/target");
        File.SetLastWriteTimeUtc(outside, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        await ReceiveAsync([Stats.Symlink("abs", outside), Stats.Symlink("dangling", "nowhere"), Stats.Symlink("rel", "../outside/target")]);

        Assert.Equal(outside, new FileInfo(_tree.PathOf("out/abs")).LinkTarget);
        Assert.Equal("nowhere", new FileInfo(_tree.PathOf("out/dangling")).LinkTarget);
        Assert.True(_tree.Lstat("out/rel").IsSymlink);
        Assert.Equal("untouched", File.ReadAllText(outside));
        Assert.Equal(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(outside));
    }

    [Fact]
    public async Task Empty_directories_are_created_with_their_mode_and_mtime_set_after_their_children()
    {
        await ReceiveAsync([Stats.Dir("empty", 0x1C0), Stats.Dir("full", 0x16D), Stats.File("full/f", 1), Stats.Dir("full/ro", 0x16D)],
            new() { ["full/f"] = "f"u8.ToArray() });

        Assert.Equal(0x41C0u, _tree.Lstat("out/empty").Mode);
        Assert.Equal(0x416Du, _tree.Lstat("out/full").Mode);
        Assert.Equal(Stats.Time, _tree.Lstat("out/full").ModTimeNanoseconds);
        Assert.Equal(Stats.Time, _tree.Lstat("out/full/ro").ModTimeNanoseconds);
        Assert.Equal(Stats.Time, _tree.Lstat("out/empty").ModTimeNanoseconds);
    }

    [Fact]
    public async Task Hardlinks_share_the_content_of_the_file_they_name()
    {
        await ReceiveAsync([Stats.File("a", 5), Stats.Dir("d"), Stats.HardLink("d/b", "a")], new() { ["a"] = "hello"u8.ToArray() });

        Assert.Equal("hello", File.ReadAllText(_tree.PathOf("out/d/b")));
    }

    [Fact]
    public async Task Devices_and_FIFOs_are_skipped()
    {
        await ReceiveAsync([new Stat { Path = "fifo", Mode = GoFileMode.NamedPipe | 0x1A4 }, new Stat { Path = "null", Mode = GoFileMode.Device | GoFileMode.CharDevice | 0x1B6 }, Stats.File("z")]);

        Assert.Equal(["z"], Directory.EnumerateFileSystemEntries(_tree.PathOf("out")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_receiver_returns_as_soon_as_the_senders_FIN_arrives_without_waiting_for_the_stream_to_close()
    {
        var (client, peer) = PacketStreams.CreatePair();
        var receiving = FsutilReceiver.ReceiveAsync(_tree.PathOf("out"), client.Reader, client.Writer, FakeSender.NoLimits, CancellationToken.None);
        await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketStat, Stat = Stats.Dir("d") });
        await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketStat });
        Assert.Equal(PacketType.PacketFin, (await peer.Reader.NextAsync()).Type);

        await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketFin }); // the stream itself stays open

        await receiving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(Directory.Exists(_tree.PathOf("out/d")));
    }

    [Fact]
    public async Task A_FIN_from_the_sender_before_the_transfer_is_complete_is_an_error()
    {
        var (client, peer) = PacketStreams.CreatePair();
        var receiving = FsutilReceiver.ReceiveAsync(_tree.PathOf("out"), client.Reader, client.Writer, FakeSender.NoLimits, CancellationToken.None);
        await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketStat, Stat = Stats.File("a", 1) });
        await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketFin });

        await Assert.ThrowsAsync<FileTransferException>(() => receiving);
        Assert.Equal(PacketType.PacketReq, (await peer.Reader.NextAsync()).Type);
        Assert.Equal(PacketType.PacketErr, (await peer.Reader.NextAsync()).Type);
    }
}
