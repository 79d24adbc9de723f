namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>A scratch directory for one test: a context to build and output folders, removed afterwards.</summary>
internal sealed class Workspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("hybridbuild-engine-test-").FullName;
    public string Context => Path.Combine(Root, "context");

    public Workspace() => Directory.CreateDirectory(Context);

    public Workspace With(string path, string content, UnixFileMode? mode = null)
    {
        var full = Path.Combine(Context, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        if (mode is { } m) File.SetUnixFileMode(full, m);
        return this;
    }

    public string Output(string name)
    {
        var path = Path.Combine(Root, "out-" + name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Every entry under a directory: path, kind, mode, and content (bytes as hex-free text) or link target.</summary>
    public static SortedDictionary<string, string> Describe(string directory)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(directory, entry.FullName);
            var mode = Convert.ToString((int)entry.UnixFileMode, 8);
            entries[relative] = entry switch
            {
                _ when entry.LinkTarget is { } target => $"link -> {target}",
                DirectoryInfo => $"dir {mode}",
                FileInfo file => $"file {mode} {file.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file.FullName)))}",
                _ => "other",
            };
        }
        return entries;
    }
}
