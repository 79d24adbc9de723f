namespace HybridBuild.Application.Pipeline;

/// <summary>
/// A transaction-scoped PostgreSQL advisory lock over blob keys. Content-addressed blobs are shared between builds, so
/// the two paths that decide a blob's fate take it: a stage that commits artifact records (it checks, under the lock,
/// that each blob is still stored) and a build deletion that removes a blob (it checks, under the lock, that no
/// artifact record references it). Whichever takes the lock second sees what the first committed.
/// <para>
/// Keys share <see cref="Buckets"/> locks: a stage may export a hundred thousand files, and PostgreSQL's lock table
/// holds only some thousands of locks for all sessions together (<c>max_locks_per_transaction</c>), so one lock per
/// blob would exhaust it. Two keys in one bucket only wait for each other, which is harmless.
/// </para>
/// </summary>
internal static class BlobLock
{
    /// <summary>The first key of the two-key form, so these locks never meet the single-bigint locks of <see cref="BuildLog"/>.</summary>
    private const int Space = 0x48424C42; // "HBLB"
    private const int Buckets = 64;

    /// <summary>
    /// Waits for the locks of <paramref name="keys"/>, taken in bucket order so that two transactions locking
    /// overlapping sets cannot deadlock; they are held until the current transaction ends.
    /// </summary>
    public static async Task HoldAsync(BuildDbContext db, IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        foreach (var bucket in keys.Select(BucketOf).Distinct().Order())
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Space}, {bucket})", cancellationToken);
    }

    private static int BucketOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key))[0] % Buckets;
}
