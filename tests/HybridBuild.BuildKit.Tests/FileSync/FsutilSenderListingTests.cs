namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class FsutilSenderListingTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private static List<string> Paths(IEnumerable<Stat> stats) => stats.Select(s => s.Path).ToList();

    [Fact]
    public async Task Entries_are_listed_depth_first_with_each_directory_before_its_contents_and_without_the_root()
    {
        _tree.File("b.txt").File("a/z.txt").File("a/b/c.txt").Dir("a/empty").File("a.txt");

        var stats = await FakeReceiver.ListAsync(_tree.Root);

        Assert.Equal(["a", "a/b", "a/b/c.txt", "a/empty", "a/z.txt", "a.txt", "b.txt"], Paths(stats));
    }

    [Fact]
    public async Task Names_are_sorted_by_UTF8_bytes_so_a_private_use_character_comes_before_an_emoji()
    {
        // UTF-16 puts U+1F600 (surrogates D83D DE00) before U+E000; UTF-8 (F0.. vs EE..) does the opposite.
        _tree.File("\U0001F600").File("\uE000").File("z");

        var stats = await FakeReceiver.ListAsync(_tree.Root);

        Assert.Equal(["z", "\uE000", "\U0001F600"], Paths(stats));
    }

    [Fact]
    public async Task Modes_are_Go_file_modes()
    {
        _tree.Dir("dir", (UnixFileMode)0x1ED).File("dir/file", "x", (UnixFileMode)0x1A4).Symlink("link", "dir/file")
            .File("setuid", "x", (UnixFileMode)0x9ED).Dir("sticky", (UnixFileMode)0x3FF);

        var modes = (await FakeReceiver.ListAsync(_tree.Root)).ToDictionary(s => s.Path, s => s.Mode);

        Assert.Equal(0x800001EDu, modes["dir"]);
        Assert.Equal(0x1A4u, modes["dir/file"]);
        Assert.Equal(0x080001FFu, modes["link"]);
        Assert.Equal(0x008001EDu, modes["setuid"]);
        Assert.Equal(0x801001FFu, modes["sticky"]);
    }

    [Fact]
    public async Task Mod_times_are_exact_nanoseconds_from_lstat()
    {
        _tree.File("file", "x").ModTime("file", 1_700_000_000_123_456_789).Dir("dir").ModTime("dir", 1_600_000_000_000_000_001)
            .Symlink("link", "missing").ModTime("link", 1_500_000_000_987_654_321);

        var times = (await FakeReceiver.ListAsync(_tree.Root)).ToDictionary(s => s.Path, s => s.ModTime);

        Assert.Equal(1_700_000_000_123_456_789, times["file"]);
        Assert.Equal(1_600_000_000_000_000_001, times["dir"]);
        Assert.Equal(1_500_000_000_987_654_321, times["link"]);
    }

    [Fact]
    public async Task Symlinks_are_sent_as_links_with_their_target_length_as_size_and_never_followed()
    {
        _tree.File("target/inner", "content").Symlink("link", "target").Symlink("dangling", "../nowhere/at/all");

        var stats = (await FakeReceiver.ListAsync(_tree.Root)).ToDictionary(s => s.Path);

        Assert.DoesNotContain("link/inner", stats.Keys);
        Assert.Equal("target", stats["link"].Linkname);
        Assert.Equal(6, stats["link"].Size);
        Assert.Equal("../nowhere/at/all", stats["dangling"].Linkname);
        Assert.Equal(17, stats["dangling"].Size);
    }

    [Fact]
    public async Task Files_carry_their_size_directories_zero_and_ownership_is_always_root()
    {
        _tree.File("dir/file", "12345");

        var stats = (await FakeReceiver.ListAsync(_tree.Root)).ToDictionary(s => s.Path);

        Assert.Equal(5, stats["dir/file"].Size);
        Assert.Equal(0, stats["dir"].Size);
        Assert.All(stats.Values, s => Assert.Equal((0u, 0u), (s.Uid, s.Gid)));
        Assert.All(stats.Values, s => Assert.Equal("", s.Linkname));
    }

    [Fact]
    public async Task Dotfiles_are_listed()
    {
        _tree.File(".dockerignore").File(".hidden/x");

        Assert.Equal([".dockerignore", ".hidden", ".hidden/x"], Paths(await FakeReceiver.ListAsync(_tree.Root)));
    }

    [Fact]
    public async Task FIFOs_are_skipped_instead_of_blocking_the_walk()
    {
        _tree.File("a").File("c");
        var mkfifo = System.Diagnostics.Process.Start("mkfifo", _tree.PathOf("b"));
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);

        Assert.Equal(["a", "c"], Paths(await FakeReceiver.ListAsync(_tree.Root)));
    }

    [Fact]
    public async Task The_listing_ends_with_one_STAT_without_a_stat_which_is_an_empty_message_on_the_wire()
    {
        _tree.File("a");
        var receiver = FakeReceiver.Start(_tree.Root);
        await receiver.ReadListingAsync();
        await receiver.FinishAsync();

        Assert.Equal(3, receiver.SerializedBySender.Count); // STAT a, terminator, FIN
        Assert.Empty(receiver.SerializedBySender[1]);
    }
}
