using System.Diagnostics;
using HybridBuild.Core.FileSystem;

namespace HybridBuild.Core.Tests;

public sealed class UnixFileTypeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hb-walk-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_walk_returns_regular_files_and_never_follows_links_or_opens_FIFOs()
    {
        Directory.CreateDirectory(Path.Combine(_root, "bin"));
        File.WriteAllText(Path.Combine(_root, "bin", "tool"), "x");
        File.WriteAllText(Path.Combine(_root, "readme"), "y");
        File.CreateSymbolicLink(Path.Combine(_root, "etc"), "/etc");
        Directory.CreateSymbolicLink(Path.Combine(_root, "loop"), ".");
        Process.Start("mkfifo", [Path.Combine(_root, "pipe")])!.WaitForExit();

        var (files, skipped) = UnixFileType.Walk(_root, 1000);

        Assert.Equal(["bin/tool", "readme"], files);
        Assert.Equal([("etc", FileKind.SymbolicLink), ("loop", FileKind.SymbolicLink), ("pipe", FileKind.Other)], skipped.OrderBy(s => s.Path));
    }

    [Fact]
    public void Kinds_are_told_apart_without_following_links()
    {
        Assert.Equal(FileKind.Directory, UnixFileType.Of(_root));
        Assert.Equal(FileKind.Other, UnixFileType.Of("/dev/null"));
        Assert.Equal(FileKind.Missing, UnixFileType.Of(Path.Combine(_root, "nothing")));
        File.CreateSymbolicLink(Path.Combine(_root, "l"), _root);
        Assert.Equal(FileKind.SymbolicLink, UnixFileType.Of(Path.Combine(_root, "l")));
    }

    [Fact]
    public void A_walk_with_more_entries_than_allowed_stops()
    {
        for (var i = 0; i < 5; i++) File.WriteAllText(Path.Combine(_root, $"f{i}"), "");
        Assert.Throws<InvalidOperationException>(() => UnixFileType.Walk(_root, 3));
    }
}
