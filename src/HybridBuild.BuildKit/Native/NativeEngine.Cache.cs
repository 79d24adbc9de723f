using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Native;

internal sealed partial class NativeEngine : IBuildCache
{
    /// <summary>
    /// Prunes with <c>all</c>, as BuildKit's own size-bound collector does: context uploads and frontend images count
    /// toward the size, so they must be removable for the bound to hold.
    /// </summary>
    public async Task<CachePruneResult> PruneCacheAsync(CacheLimit limit, CancellationToken cancellationToken)
    {
        var pruned = await _client.PruneAsync(new PruneOptions { KeepStorage = limit.KeepBytes, KeepDuration = limit.KeepFor, All = true },
            cancellationToken);
        return new CachePruneResult(pruned.Records, pruned.Bytes);
    }
}
