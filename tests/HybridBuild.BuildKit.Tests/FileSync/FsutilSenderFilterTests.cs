namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class FsutilSenderFilterTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private async Task<List<string>> ListAsync(string[]? follow = null, string[]? include = null, string[]? exclude = null) =>
        (await FakeReceiver.ListAsync(_tree.Root, new SendFilter(follow ?? [], include ?? [], exclude ?? []))).Select(s => s.Path).ToList();

    [Fact]
    public async Task A_followed_directory_is_sent_with_everything_below_it()
    {
        _tree.File("Dockerfile").File("sub/a").File("sub/deep/b").File("other/c");

        Assert.Equal(["Dockerfile", "sub", "sub/a", "sub/deep", "sub/deep/b"], await ListAsync(follow: ["sub", "Dockerfile"]));
    }

    [Fact]
    public async Task A_followed_file_brings_its_parent_directories_and_nothing_else()
    {
        _tree.File("x/y/wanted").File("x/y/unwanted").File("x/other");

        Assert.Equal(["x", "x/y", "x/y/wanted"], await ListAsync(follow: ["x/y/wanted"]));
    }

    [Fact]
    public async Task A_followed_path_through_a_symlink_sends_the_link_and_what_it_leads_to()
    {
        _tree.File("real/deep/file").File("real/deep/sibling").File("real/unrelated").Symlink("link", "real/deep");

        Assert.Equal(["link", "real", "real/deep", "real/deep/file"], await ListAsync(follow: ["link/file"]));
    }

    [Fact]
    public async Task A_followed_symlink_that_points_outside_the_root_sends_only_the_link()
    {
        _tree.Symlink("escape", "../../etc").File("other");

        Assert.Equal(["escape"], await ListAsync(follow: ["escape/passwd"]));
    }

    [Fact]
    public async Task Include_patterns_keep_matching_entries_and_the_directories_leading_to_them()
    {
        _tree.File("src/a.cs").File("src/a.txt").File("docs/b.md").File("top.cs");

        Assert.Equal(["src", "src/a.cs", "top.cs"], await ListAsync(include: ["**/*.cs"]));
    }

    [Fact]
    public async Task An_excluded_directory_is_sent_late_only_because_an_exception_matches_inside_it()
    {
        _tree.File("build/drop.txt").File("build/keep.txt").File("logs/x.log").File("src/a.txt");

        var stats = await FakeReceiver.ListAsync(_tree.Root, new SendFilter([], [], ["build", "!build/keep.txt", "logs", "!logs/none.txt"]));

        Assert.Equal(["build", "build/keep.txt", "src", "src/a.txt"], stats.Select(s => s.Path));
        Assert.Equal(GoFileMode.Dir, stats[0].Mode & GoFileMode.Dir);
    }

    [Fact]
    public async Task Double_star_excludes_at_any_depth()
    {
        _tree.File("a.log").File("x/b.log").File("x/y/c.log").File("x/y/keep.txt");

        Assert.Equal(["x", "x/y", "x/y/keep.txt"], await ListAsync(exclude: ["**/*.log"]));
    }

    [Fact]
    public async Task An_excluded_directory_keeps_its_non_excluded_siblings_and_excluded_empty_dirs_vanish()
    {
        _tree.File("node_modules/pkg/index.js").Dir("empty").File("app.js");

        Assert.Equal(["app.js", "empty"], await ListAsync(exclude: ["node_modules"]));
        Assert.Equal(["app.js", "node_modules", "node_modules/pkg", "node_modules/pkg/index.js"], await ListAsync(exclude: ["empty"]));
    }

    [Fact]
    public async Task Entry_IDs_count_lazily_sent_parent_directories()
    {
        _tree.File("build/keep.txt", "keep").File("build/drop.txt").File("z.txt", "zed");

        var receiver = FakeReceiver.Start(_tree.Root, new SendFilter([], [], ["build", "!build/keep.txt"]));
        var listing = await receiver.ReadListingAsync();
        Assert.Equal(["build", "build/keep.txt", "z.txt"], listing.Select(s => s.Path));
        await receiver.RequestAsync(2);
        await receiver.RequestAsync(1);
        var (contents, _) = await receiver.ReadFilesAsync(2);
        await receiver.FinishAsync();

        Assert.Equal("zed", System.Text.Encoding.UTF8.GetString(contents[2]));
        Assert.Equal("keep", System.Text.Encoding.UTF8.GetString(contents[1]));
    }
}
