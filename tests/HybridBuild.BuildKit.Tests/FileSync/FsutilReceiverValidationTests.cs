namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class FsutilReceiverValidationTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private string Destination => _tree.PathOf("out");

    private async Task<FileTransferException> RefusedAsync(IEnumerable<Stat?> listing, ReceiveLimits? limits = null, Dictionary<string, byte[]>? contents = null)
    {
        var (fromReceiver, failure) = await FakeSender.RunAsync(Destination, listing, contents, limits);
        var error = Assert.IsType<FileTransferException>(failure);
        var err = Assert.Single(fromReceiver, p => p.Type == PacketType.PacketErr);
        Assert.Equal(error.Message, err.Data.ToStringUtf8());
        Assert.DoesNotContain(fromReceiver, p => p.Type == PacketType.PacketFin);
        return error;
    }

    [Theory]
    [InlineData("../escape", "climbs out")]
    [InlineData("a/../../escape", "climbs out")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("./a", "not a clean")]
    [InlineData("a//b", "not a clean")]
    [InlineData("a/", "not a clean")]
    [InlineData("nul\0byte", "NUL")]
    [InlineData("", "empty")]
    public async Task Unclean_absolute_or_climbing_paths_are_refused(string path, string reason)
    {
        var error = await RefusedAsync([Stats.Dir("a"), Stats.File(path)]);
        Assert.Contains(reason, error.Message);
        Assert.False(File.Exists(_tree.PathOf("escape")));
    }

    [Fact]
    public async Task Entries_out_of_order_are_refused()
    {
        var error = await RefusedAsync([Stats.File("b"), Stats.File("a")]);
        Assert.Contains("out of order", error.Message);
    }

    [Fact]
    public async Task A_repeated_entry_is_refused() => await RefusedAsync([Stats.Dir("a"), Stats.Dir("a")]);

    [Fact]
    public async Task An_entry_whose_parent_was_not_listed_as_a_directory_is_refused()
    {
        Assert.Contains("not under a directory", (await RefusedAsync([Stats.File("missing/file")])).Message);
        Assert.Contains("not under a directory", (await RefusedAsync([Stats.File("plain"), Stats.File("plain/child")])).Message);
    }

    [Fact]
    public async Task A_file_under_a_symlink_is_refused_and_nothing_is_written_through_the_link()
    {
        var outside = _tree.Dir("outside").PathOf("outside");

        var error = await RefusedAsync([Stats.Symlink("link", outside), Stats.File("link/planted", 3)], contents: new() { ["link/planted"] = "bad"u8.ToArray() });

        Assert.Contains("\"link/planted\" is not under a directory", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task A_hardlink_to_a_path_not_received_before_it_is_refused()
    {
        var error = await RefusedAsync([Stats.HardLink("a", "z"), Stats.File("z")]);
        Assert.Contains("Hardlink", error.Message);
        await RefusedAsync([Stats.Dir("d"), Stats.HardLink("e", "d")]);
    }

    [Fact]
    public async Task A_link_name_on_a_directory_or_a_symlink_without_target_is_refused()
    {
        await RefusedAsync([new Stat { Path = "d", Mode = GoFileMode.Dir | 0x1ED, Linkname = "x" }]);
        await RefusedAsync([Stats.Symlink("l", "")]);
    }

    [Fact]
    public async Task A_mode_with_two_file_types_is_refused() =>
        await RefusedAsync([new Stat { Path = "x", Mode = GoFileMode.Dir | GoFileMode.Symlink | 0x1ED }]);

    [Fact]
    public async Task More_entries_than_the_limit_are_refused()
    {
        var error = await RefusedAsync([Stats.Dir("a"), Stats.Dir("b"), Stats.Dir("c")], new ReceiveLimits(2, long.MaxValue));
        Assert.Contains("more than 2 entries", error.Message);
    }

    [Fact]
    public async Task Files_declaring_more_bytes_than_the_limit_are_refused()
    {
        var error = await RefusedAsync([Stats.File("a", 600), Stats.File("b", 600)], new ReceiveLimits(100, 1000));
        Assert.Contains("more than 1000 bytes", error.Message);
    }

    [Fact]
    public async Task Content_beyond_the_byte_limit_is_refused_even_when_the_sizes_understated_it()
    {
        var error = await RefusedAsync([Stats.File("a", 10)], new ReceiveLimits(100, 1000), new() { ["a"] = new byte[5000] });
        Assert.Contains("more than 1000 bytes", error.Message);
    }

    [Fact]
    public async Task A_destination_that_is_not_empty_is_refused()
    {
        _tree.File("out/existing");
        await RefusedAsync([Stats.File("a")]);
    }

    [Fact]
    public async Task An_entry_after_the_end_of_the_listing_is_refused() =>
        await RefusedAsync([Stats.File("a"), null, Stats.Dir("b")]); // a pending file keeps the receiver from finishing first
}
