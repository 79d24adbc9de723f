namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>'/'-separated relative path text, cleaned the way Go's <c>filepath.Clean</c> would, kept inside the root.</summary>
internal static class PathText
{
    /// <summary>Drops empty and "." segments, resolves "..", strips a leading '/'; "." for the root itself.</summary>
    public static string Clean(string path) => CleanWithin(path, clampAtRoot: true) ?? ".";

    /// <summary>Like <see cref="Clean"/> but null when ".." would leave the root (unless it is clamped there).</summary>
    public static string? CleanWithin(string path, bool clampAtRoot)
    {
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..")
            {
                if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                else if (!clampAtRoot) return null;
                continue;
            }
            segments.Add(segment);
        }
        return segments.Count == 0 ? "." : string.Join('/', segments);
    }

    public static string Join(string directory, string name) => directory.Length == 0 || directory == "." ? name : directory + "/" + name;

    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or lies below it.</summary>
    public static bool IsAtOrBelow(string path, string ancestor) =>
        ancestor == "." || path == ancestor || (path.Length > ancestor.Length && path[ancestor.Length] == '/' && path.StartsWith(ancestor, StringComparison.Ordinal));
}
