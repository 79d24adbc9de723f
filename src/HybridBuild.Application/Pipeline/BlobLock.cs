using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;

namespace HybridBuild.Application.Pipeline;

/// <summary>
/// A transaction-scoped PostgreSQL advisory lock on one blob key. Content-addressed blobs are shared between builds,
/// so the two paths that decide a blob's fate take it: a stage that commits artifact records (it checks, under the
/// lock, that each blob is still stored) and a build deletion that removes a blob (it checks, under the lock, that no
/// artifact record references it). Whichever takes the lock second sees what the first committed.
/// </summary>
internal static class BlobLock
{
    /// <summary>
    /// The first key of the two-key form, so these locks never meet the single-bigint locks of <see cref="BuildLog"/>;
    /// two blob keys with the same <c>hashtext</c> only wait for each other, which is harmless.
    /// </summary>
    private const int Space = 0x48424C42; // "HBLB"

    /// <summary>Waits for the lock on <paramref name="key"/>; it is held until the current transaction ends.</summary>
    public static Task HoldAsync(BuildDbContext db, string key, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Space}, hashtext({key}))", cancellationToken);
}
