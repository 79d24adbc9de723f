namespace HybridBuild.Core.Sources;

/// <summary>Bounds on an uploaded build context.</summary>
public sealed record ContextLimits
{
    /// <summary>Largest archive accepted, compressed as uploaded.</summary>
    public long MaxArchiveBytes { get; init; } = 1L << 30;
    /// <summary>Largest total size of the files once extracted.</summary>
    public long MaxExtractedBytes { get; init; } = 4L << 30;
    public int MaxEntries { get; init; } = 100_000;
}
