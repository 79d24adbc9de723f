namespace HybridBuild.Core.Sources;

/// <summary>Bounds on an uploaded build context.</summary>
public sealed record ContextLimits
{
    /// <summary>Longest entry or link name, in UTF-8 bytes; fixed, because Linux cannot create longer paths.</summary>
    public const int MaxPathBytes = PathRules.MaxPathBytes;

    /// <summary>Largest archive accepted, compressed as uploaded.</summary>
    public long MaxArchiveBytes { get; init; } = 1L << 30;
    /// <summary>Largest total size of the files once extracted.</summary>
    public long MaxExtractedBytes { get; init; } = 4L << 30;
    /// <summary>Most entries, and most distinct paths (counting the folders on their way and those links lead through).</summary>
    public int MaxEntries { get; init; } = 100_000;
    /// <summary>Most segments in an entry or link name (a segment is at most <see cref="PathRules.MaxSegmentBytes"/> bytes).</summary>
    public int MaxPathDepth { get; init; } = PathRules.DefaultMaxDepth;
}
