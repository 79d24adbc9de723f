namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// Resolves the daemon's followpaths inside the root: every symlink met along a path is kept itself and resolved
/// (its target within the root replaces it), so "link/file" sends both "link" and the file it leads to.
/// </summary>
internal static class FollowPaths
{
    private const int MaxLinkHops = 64;

    /// <summary>Clean relative paths, each meaning "this and everything below"; "." means the whole root.</summary>
    public static IReadOnlyList<string> Resolve(string root, IEnumerable<string> paths)
    {
        var result = new List<string>();
        foreach (var path in paths)
        {
            var clean = PathText.Clean(path);
            if (clean == ".") result.Add(".");
            else Follow(root, clean, result, 0);
        }
        return result.Distinct(StringComparer.Ordinal).ToList();
    }

    private static void Follow(string root, string path, List<string> result, int hops)
    {
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var prefix = string.Join('/', segments[..(i + 1)]);
            var full = Path.Join(root, prefix);
            if (!PosixFile.TryLstat(full, out var stat)) break;
            if (stat.IsSymlink)
            {
                result.Add(prefix);
                var target = new FileInfo(full).LinkTarget;
                if (target is null || hops >= MaxLinkHops) return;
                // An absolute target means the same path inside the root; a relative one must not climb out of it.
                var joined = target.StartsWith('/') ? target : PathText.Join(PathText.Parent(prefix), target);
                var rest = string.Join('/', segments[(i + 1)..]);
                var resolved = PathText.CleanWithin(rest.Length == 0 ? joined : joined + "/" + rest, clampAtRoot: target.StartsWith('/'));
                if (resolved is null) return;
                if (resolved == ".") result.Add(".");
                else Follow(root, resolved, result, hops + 1);
                return;
            }
            if (!stat.IsDirectory) break;
        }
        result.Add(path);
    }
}
