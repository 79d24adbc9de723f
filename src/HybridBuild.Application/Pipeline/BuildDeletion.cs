namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Deletes a finished build: its records in one transaction, then the blobs no other build needs.
/// <para>
/// Artifact blobs are keyed by content, so another build may reference the same blob, or be about to: its stage
/// has stored (or found) the blob and has not yet committed its artifact records. A blob is therefore removed only
/// after the records' transaction has committed, each in a transaction of its own that holds the blob's
/// <see cref="BlobLock"/> and finds no artifact record referencing it. The stage completion takes the same lock and
/// checks that the blob is still stored before it commits its records: if it comes first, the deletion sees its records
/// and keeps the blob; if the deletion comes first, the stage sees the blob gone and fails saying so, rather than
/// committing a record without content. A node that stops between the two steps leaves only an unreferenced blob.
/// </para>
/// The context blob of an upload is keyed by the build's id, so it is its own and simply removed.
/// </summary>
internal sealed class BuildDeletion(BuildDbContext db, BuildLifecycle builds, StageLifecycle stages, PublicationLifecycle publications,
    DeliveryLifecycle deliveries, UnreferencedBlobs unreferenced, IBlobStore blobs)
{
    /// <exception cref="NotFoundException">No such build.</exception>
    /// <exception cref="ConflictException">The build has not finished or is pinned, or a publication of it is still to run.</exception>
    public Task DeleteAsync(Guid buildId, CancellationToken cancellationToken) =>
        DeleteHeldAsync(buildId, async ct =>
        {
            await builds.HoldFinishedAsync(buildId, ct);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Retention's deletion: the same, but only while the build is still what retention found (of <paramref name="status"/>,
    /// finished before <paramref name="finishedBefore"/>, not pinned); false, and nothing deleted, when it no longer is.
    /// </summary>
    /// <exception cref="ConflictException">A publication of the build is still to run.</exception>
    public Task<bool> DeleteExpiredAsync(Guid buildId, BuildStatus status, DateTimeOffset finishedBefore, CancellationToken cancellationToken) =>
        DeleteHeldAsync(buildId, ct => builds.HoldExpiredAsync(buildId, status, finishedBefore, ct), cancellationToken);

    /// <summary>Deletes the build's records once <paramref name="hold"/> has locked its row, then the blobs no other build needs.</summary>
    private async Task<bool> DeleteHeldAsync(Guid buildId, Func<CancellationToken, Task<bool>> hold, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        var (held, artifactKeys, contextKey) = await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (!await hold(cancellationToken)) return (false, new List<string>(), (string?)null);
            await publications.DeleteOfBuildAsync(buildId, cancellationToken);
            var keys = await db.Artifacts.Where(a => a.BuildId == buildId).Select(a => a.BlobKey).Distinct().ToListAsync(cancellationToken);
            var context = await db.Builds.Where(b => b.Id == buildId).Select(b => b.ContextKey).FirstAsync(cancellationToken);
            await deliveries.ForgetBuildAsync(buildId, cancellationToken);
            await stages.DeleteOfBuildAsync(buildId, cancellationToken);
            await builds.DeleteAsync(buildId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (true, keys, context);
        });
        if (!held) return false;
        // the records are gone: from here on the work is only cleaning up, and is finished even if the client leaves
        foreach (var key in artifactKeys) await unreferenced.DeleteAsync(key);
        if (contextKey is not null) await blobs.DeleteAsync(contextKey, CancellationToken.None);
        return true;
    }
}
