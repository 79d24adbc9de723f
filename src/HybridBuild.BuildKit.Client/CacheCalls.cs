using Google.Protobuf.WellKnownTypes;
using Wire = HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Client;

/// <summary>Control's DiskUsage and Prune, mapped to the client's records.</summary>
internal static class CacheCalls
{
    public static async Task<IReadOnlyList<CacheRecord>> DiskUsageAsync(Wire.Control.ControlClient control, IReadOnlyList<string> filters,
        CancellationToken cancellationToken)
    {
        var request = new Wire.DiskUsageRequest();
        request.Filter.AddRange(filters);
        var response = await control.DiskUsageAsync(request, cancellationToken: cancellationToken);
        return [.. response.Record.Select(ToRecord)];
    }

    public static async Task<PruneResult> PruneAsync(Wire.Control.ControlClient control, Wire.PruneRequest request, CancellationToken cancellationToken)
    {
        using var call = control.Prune(request, cancellationToken: cancellationToken);
        var (records, bytes) = (0, 0L);
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            records++;
            bytes += Math.Max(0, call.ResponseStream.Current.Size);
        }
        return new PruneResult(records, bytes);
    }

    /// <summary>
    /// The size goes in field 4 and in maxUsedSpace (5). Up to v0.16 field 4 is keepBytes, "prune down to this"; v0.17
    /// renamed it reservedSpace ("never prune below this") and added maxUsedSpace ("prune down to this"), and computes
    /// the bound as max(maxUsedSpace, reservedSpace) when minFreeSpace is unset: the same number in both fields bounds
    /// the cache exactly as keepBytes did, and an older daemon ignores the unknown field 5. No version check is needed
    /// (nor possible: Docker's embedded BuildKit reports v0.0.0+unknown).
    /// </summary>
    internal static Wire.PruneRequest ToRequest(PruneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.KeepStorage, nameof(options.KeepStorage));
        if (options.KeepDuration is { } keep) ArgumentOutOfRangeException.ThrowIfNegative(keep.Ticks, nameof(options.KeepDuration));
        var request = new Wire.PruneRequest
        {
            All = options.All,
            KeepBytes = options.KeepStorage,
            MaxUsedSpace = options.KeepStorage,
            KeepDuration = (options.KeepDuration?.Ticks ?? 0) * (1_000_000 / TimeSpan.TicksPerMillisecond),
        };
        request.Filter.AddRange(options.Filters);
        return request;
    }

    private static CacheRecord ToRecord(Wire.UsageRecord r) => new(r.ID, r.Description, r.RecordType, r.Size, r.InUse, r.Mutable, r.Shared,
        ToTime(r.CreatedAt), ToTime(r.LastUsedAt), r.UsageCount);

    private static DateTimeOffset? ToTime(Timestamp? time) => time is null ? null : time.ToDateTimeOffset();
}
