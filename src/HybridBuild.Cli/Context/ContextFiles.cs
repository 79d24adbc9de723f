namespace HybridBuild.Cli.Context;

/// <summary>One entry of a build context: its path in the archive and on disk.</summary>
internal sealed record ContextEntry(string Name, string FullPath, bool IsDirectory, long Size);

/// <summary>
/// The entries of a context folder in a stable order, less what <c>.dockerignore</c> excludes. The Dockerfile and the
/// <c>.dockerignore</c> itself are always sent, as <c>docker build</c> does: BuildKit reads them, then applies the
/// patterns to the rest itself.
/// </summary>
internal static class ContextFiles
{
    public static List<ContextEntry> List(string root, DockerIgnore ignore, IReadOnlySet<string> alwaysSent)
    {
        var entries = new List<ContextEntry>();
        Walk(new DirectoryInfo(root), "", ignore, alwaysSent, entries);
        return entries;
    }

    private static void Walk(DirectoryInfo directory, string prefix, DockerIgnore ignore, IReadOnlySet<string> alwaysSent, List<ContextEntry> entries)
    {
        foreach (var info in directory.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var name = prefix.Length == 0 ? info.Name : prefix + "/" + info.Name;
            var isDirectory = info is DirectoryInfo && info.LinkTarget is null; // a link to a folder is sent as the link
            var excluded = ignore.Excludes(name) && !alwaysSent.Contains(name);
            if (isDirectory)
            {
                if (!excluded) entries.Add(new ContextEntry(name, info.FullName, true, 0));
                if (!excluded || ignore.MayIncludeBelow(name) || alwaysSent.Any(a => a.StartsWith(name + "/", StringComparison.Ordinal)))
                    Walk((DirectoryInfo)info, name, ignore, alwaysSent, entries);
            }
            else if (!excluded)
            {
                entries.Add(new ContextEntry(name, info.FullName, false, info is FileInfo { LinkTarget: null } file ? file.Length : 0));
            }
        }
    }
}
