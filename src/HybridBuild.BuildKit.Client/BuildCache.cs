namespace HybridBuild.BuildKit.Client;

/// <summary>What <see cref="BuildKitClient.PruneAsync"/> removes from the daemon's build cache.</summary>
public sealed record PruneOptions
{
    /// <summary>
    /// Bytes of cache to keep: records are removed least recently used first until the cache holds less. 0 (the
    /// default) keeps nothing: every matching record no build is using is removed.
    /// </summary>
    public long KeepStorage { get; init; }

    /// <summary>Records used within this time are kept whatever the size; null keeps none for their age.</summary>
    public TimeSpan? KeepDuration { get; init; }

    /// <summary>
    /// Also remove internal and frontend records (context uploads, frontend images) and, with no filter, records the
    /// daemon shares with its image store; as <c>docker builder prune --all</c>. BuildKit's own size-bound collector
    /// prunes with it set.
    /// </summary>
    public bool All { get; init; }

    /// <summary>
    /// BuildKit's filters, all of which a record must match: <c>id==...</c>, <c>description~=regexp</c>,
    /// <c>type==regular</c>, <c>inuse</c>, <c>mutable</c>, <c>shared</c>, ...
    /// </summary>
    public IReadOnlyList<string> Filters { get; init; } = [];
}

/// <summary>What a prune removed.</summary>
/// <param name="Records">Cache records removed.</param>
/// <param name="Bytes">Their size as the daemon reported it.</param>
public sealed record PruneResult(int Records, long Bytes);

/// <summary>One record of the daemon's build cache.</summary>
/// <param name="Description">What made it, e.g. <c>mount / from exec /bin/sh -c ...</c>.</param>
/// <param name="RecordType"><c>regular</c>, <c>internal</c>, <c>frontend</c>, <c>source.local</c>, <c>exec.cachemount</c>, ...</param>
/// <param name="Size">Bytes on disk; shared records count in the image store too.</param>
/// <param name="InUse">A build holds it now; prune never removes it.</param>
public sealed record CacheRecord(string Id, string Description, string RecordType, long Size, bool InUse, bool Mutable, bool Shared,
    DateTimeOffset? CreatedAt, DateTimeOffset? LastUsedAt, long UsageCount);
