namespace HybridBuild.Core.Abstractions;

/// <summary>An engine whose BuildKit build cache the service bounds (the native engine; a buildx builder keeps its own GC policy).</summary>
public interface IBuildCache
{
    /// <summary>
    /// Removes cache records no build is using, least recently used first, until the cache holds less than
    /// <see cref="CacheLimit.KeepBytes"/>; records used within <see cref="CacheLimit.KeepFor"/> stay whatever the size.
    /// </summary>
    Task<CachePruneResult> PruneCacheAsync(CacheLimit limit, CancellationToken cancellationToken);
}

/// <summary>How much build cache a builder keeps: at most <paramref name="KeepBytes"/> (0: none), and what was used within <paramref name="KeepFor"/>.</summary>
public sealed record CacheLimit(long KeepBytes, TimeSpan? KeepFor);

/// <summary>What a prune removed: cache records and their bytes.</summary>
public sealed record CachePruneResult(int Records, long Bytes);
