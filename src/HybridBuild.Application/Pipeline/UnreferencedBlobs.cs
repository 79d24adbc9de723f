namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Removes content-addressed blobs that no artifact record references, each in a transaction of its own holding the
/// blob's <see cref="BlobLock"/>: a stage that has found the blob but not yet committed its records checks under the
/// same lock that the blob is still there, so whichever comes second sees what the first did.
/// </summary>
internal sealed class UnreferencedBlobs(BuildDbContext db, IBlobStore blobs)
{
    public Task DeleteAsync(string key) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            await BlobLock.HoldAsync(db, [key], CancellationToken.None);
            if (!await db.Artifacts.AnyAsync(a => a.BlobKey == key, CancellationToken.None))
                await blobs.DeleteAsync(key, CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        });
}
