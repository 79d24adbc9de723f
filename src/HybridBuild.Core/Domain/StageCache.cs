namespace HybridBuild.Core.Domain;

/// <summary>
/// A cache source or destination in buildx's vocabulary: <c>type=registry,ref=registry.example.com/app:cache,mode=max</c>
/// or <c>type=inline</c>. Only daemon-side types are taken (nothing is read from or written to the service's disk).
/// </summary>
public sealed record CacheEntry(string Type, Dictionary<string, string> Attributes)
{
    /// <summary>The entry as buildx writes it (<c>--cache-from</c>, <c>--cache-to</c>).</summary>
    public override string ToString() =>
        string.Join(',', new[] { $"type={Type}" }.Concat(Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}")));

    /// <summary>The registry reference the entry reads or writes, if it has one.</summary>
    public string? Reference => Attributes.GetValueOrDefault("ref");
}

/// <summary>How a stage uses BuildKit's cache: where it imports from and exports to, and what it must build afresh.</summary>
public sealed record StageCache
{
    public List<CacheEntry> From { get; init; } = [];
    public List<CacheEntry> To { get; init; } = [];
    /// <summary>No cache for any step of the solve (BuildKit's <c>no-cache</c>).</summary>
    public bool NoCache { get; init; }
    /// <summary>Dockerfile stages (of this stage's solve) built without cache; the others may still use it.</summary>
    public List<string> NoCacheFilter { get; init; } = [];
}

/// <summary>
/// What the cache did for a stage's last solve: Dockerfile steps in all, steps answered from the cache, and how much
/// time those saved, estimated from how long each took the last time it ran uncached on any builder of this service
/// (<see cref="EstimatedSteps"/> of the cached steps had such a run; the others count as unknown, not as zero).
/// </summary>
public sealed record CacheUse(int Steps, int Cached, long SavedMilliseconds, int EstimatedSteps, double? SavedShare);

/// <summary>How long a solve step (by its vertex digest) took when it last ran without the cache.</summary>
public sealed class StepTiming
{
    public string Digest { get; set; } = "";
    public long Milliseconds { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}
