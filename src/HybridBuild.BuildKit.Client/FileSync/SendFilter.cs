namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>What the daemon asked for in the DiffCopy metadata (followpaths, include-patterns, exclude-patterns).</summary>
internal sealed record SendFilter(IReadOnlyList<string> FollowPaths, IReadOnlyList<string> IncludePatterns, IReadOnlyList<string> ExcludePatterns)
{
    public static SendFilter None { get; } = new([], [], []);
}

/// <summary>Bounds on what a receiver accepts: number of entries and total bytes of file content.</summary>
internal sealed record ReceiveLimits(long MaxEntries, long MaxBytes);
