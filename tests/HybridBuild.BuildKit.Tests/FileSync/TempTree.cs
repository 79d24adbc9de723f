namespace HybridBuild.BuildKit.Tests.FileSync;

/// <summary>A scratch directory tree for one test, removed afterwards (even where the test made it read-only).</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Path.Combine(Path.GetTempPath(), "fsutil-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Join(Root, relative);

    public TempTree File(string relative, string content = "", UnixFileMode? mode = null) => File(relative, Encoding.UTF8.GetBytes(content), mode);

    public TempTree File(string relative, byte[] content, UnixFileMode? mode = null)
    {
        var full = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllBytes(full, content);
        if (mode is { } m) System.IO.File.SetUnixFileMode(full, m);
        return this;
    }

    public TempTree Dir(string relative, UnixFileMode? mode = null)
    {
        Directory.CreateDirectory(PathOf(relative));
        if (mode is { } m) System.IO.File.SetUnixFileMode(PathOf(relative), m);
        return this;
    }

    public TempTree Symlink(string relative, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf(relative))!);
        System.IO.File.CreateSymbolicLink(PathOf(relative), target);
        return this;
    }

    public TempTree ModTime(string relative, long nanoseconds)
    {
        PosixFile.SetModTime(PathOf(relative), nanoseconds);
        return this;
    }

    public PosixStat Lstat(string relative)
    {
        Assert.True(PosixFile.TryLstat(PathOf(relative), out var stat), $"{relative} does not exist");
        return stat;
    }

    public void Dispose()
    {
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                if (PosixFile.TryLstat(dir, out var s) && s.IsDirectory) System.IO.File.SetUnixFileMode(dir, (UnixFileMode)0x1C0);
            }
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
