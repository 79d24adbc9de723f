using System.Security.Cryptography;
using HybridBuild.Application.Retention;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Application.Tests;

/// <summary>
/// The retention sweep against real PostgreSQL and a real blob store: it deletes builds past their status's age through
/// the build deletion, so a blob another build still references survives, and pinned builds, builds within their age
/// and statuses without an age are kept; a build it cannot delete is left for the next sweep, and the sweep goes on.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RetentionSweepTests(ApplicationFixture fixture) : CoreTest(fixture)
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Retention:Succeeded"] = "30.00:00:00",
        ["Retention:Failed"] = "7.00:00:00",
        // Cancelled unset: kept forever
        ["Retention:BatchSize"] = "1", // every build is a batch of its own: the sweep must look again, and skip what it could not delete
    };

    [Fact]
    public async Task An_expired_build_is_deleted_with_the_blob_only_it_referenced_while_a_blob_a_newer_build_shares_survives()
    {
        var (shared, sharedSha) = await StoreBlobAsync();
        var (own, ownSha) = await StoreBlobAsync();
        var old = await StoreAsync(BuildStatus.Succeeded, Month + TimeSpan.FromDays(1), (shared, sharedSha), (own, ownSha));
        var recent = await StoreAsync(BuildStatus.Succeeded, TimeSpan.FromDays(1), (shared, sharedSha));

        Assert.Equal(1, await SweepAsync());

        Assert.False(await ExistsAsync(old.Id));
        Assert.True(await ExistsAsync(recent.Id));
        Assert.NotNull(await BlobAsync(shared));
        Assert.Null(await BlobAsync(own));
        Assert.Equal(shared, await Core.WithAsync<BuildDbContext, string>(db => db.Artifacts.Where(a => a.BuildId == recent.Id).Select(a => a.BlobKey).SingleAsync()));
    }

    [Fact]
    public async Task Pinned_builds_builds_within_their_age_and_statuses_without_an_age_are_kept()
    {
        var pinned = await StoreAsync(BuildStatus.Succeeded, TimeSpan.FromDays(400));
        await Core.WithAsync<BuildLifecycle>(b => b.PinAsync(pinned.Id, true, CancellationToken.None));
        var youngFailure = await StoreAsync(BuildStatus.Failed, TimeSpan.FromDays(6));
        var oldFailure = await StoreAsync(BuildStatus.Failed, TimeSpan.FromDays(8));
        var oldCancellation = await StoreAsync(BuildStatus.Cancelled, TimeSpan.FromDays(400));

        Assert.Equal(1, await SweepAsync());

        Assert.True(await ExistsAsync(pinned.Id));
        Assert.True(await ExistsAsync(youngFailure.Id));
        Assert.False(await ExistsAsync(oldFailure.Id));
        Assert.True(await ExistsAsync(oldCancellation.Id));
    }

    [Fact]
    public async Task A_build_whose_publication_is_still_queued_is_kept_and_the_sweep_goes_on_to_the_next_one()
    {
        var publishing = await StoreAsync(BuildStatus.Succeeded, Month * 3); // the oldest: the first batch holds only it
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            db.Publications.Add(new Publication
            {
                Id = Guid.CreateVersion7(), BuildId = publishing.Id, Target = "somewhere", Status = PublicationStatus.Queued, CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        });
        var next = await StoreAsync(BuildStatus.Succeeded, Month * 2);

        Assert.Equal(1, await SweepAsync());

        Assert.True(await ExistsAsync(publishing.Id));
        Assert.False(await ExistsAsync(next.Id));
    }

    [Fact]
    public async Task A_build_whose_follow_ups_are_still_due_is_kept_until_they_are_made()
    {
        var owing = await StoreAsync(BuildStatus.Succeeded, Month * 3);
        await Core.WithAsync<BuildDbContext>(db => db.Builds.Where(b => b.Id == owing.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.FollowUpsDueSince, DateTimeOffset.UtcNow - Month * 3)));
        var next = await StoreAsync(BuildStatus.Succeeded, Month * 2);

        Assert.Equal(1, await SweepAsync());

        Assert.True(await ExistsAsync(owing.Id)); // its publications or a reproduction's verdict come first
        Assert.False(await ExistsAsync(next.Id));
    }

    [Fact]
    public async Task Retention_deletes_nothing_of_a_build_pinned_or_retried_since_the_sweep_found_it()
    {
        var pinnedSince = await StoreAsync(BuildStatus.Succeeded, Month * 2);
        var retriedSince = await StoreAsync(BuildStatus.Failed, Month * 2);
        var before = DateTimeOffset.UtcNow - Month;
        var found = await Core.WithAsync<BuildLifecycle, List<Guid>>(b => b.ExpiredAsync(BuildStatus.Succeeded, before, [], 10, CancellationToken.None));
        Assert.Equal([pinnedSince.Id], found);

        await Core.WithAsync<BuildLifecycle>(b => b.PinAsync(pinnedSince.Id, true, CancellationToken.None));
        await Core.WithAsync<BuildLifecycle>(b => b.RetryAsync(retriedSince.Id, CancellationToken.None));

        Assert.False(await Core.WithAsync<BuildDeletion, bool>(d => d.DeleteExpiredAsync(pinnedSince.Id, BuildStatus.Succeeded, before, CancellationToken.None)));
        Assert.False(await Core.WithAsync<BuildDeletion, bool>(d => d.DeleteExpiredAsync(retriedSince.Id, BuildStatus.Failed, before, CancellationToken.None)));
        Assert.True(await ExistsAsync(pinnedSince.Id));
        Assert.True(await ExistsAsync(retriedSince.Id));
        Assert.Single(await Core.WithAsync<BuildDbContext, List<Stage>>(db => db.Stages.Where(s => s.BuildId == pinnedSince.Id).ToListAsync()));
    }

    private Task<int> SweepAsync() => Core.WithAsync<RetentionSweep, int>(r => r.RunAsync(CancellationToken.None));

    /// <summary>A build of one stage that finished <paramref name="ago"/>, with one artifact per blob given.</summary>
    private async Task<Build> StoreAsync(BuildStatus status, TimeSpan ago, params (string Key, string Sha)[] blobs)
    {
        var stageStatus = status == BuildStatus.Succeeded ? StageStatus.Succeeded : status == BuildStatus.Failed ? StageStatus.Failed : StageStatus.Cancelled;
        var build = await StoredBuilds.StoreAsync(Core, status, stageStatus, "out");
        var finished = DateTimeOffset.UtcNow - ago;
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            await db.Builds.Where(b => b.Id == build.Id).ExecuteUpdateAsync(u => u.SetProperty(b => b.FinishedAt, finished));
            db.Artifacts.AddRange(blobs.Select((blob, i) => new Artifact
            {
                Id = Guid.CreateVersion7(), BuildId = build.Id, StageId = build.Stages.Single().Id, StageName = "out", Path = $"file-{i}.bin",
                Size = 1024, Sha256 = blob.Sha, BlobKey = blob.Key,
            }));
            await db.SaveChangesAsync();
        });
        return build;
    }

    private async Task<(string Key, string Sha)> StoreBlobAsync()
    {
        var content = RandomNumberGenerator.GetBytes(1024);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var key = BlobKeys.Artifact(sha);
        await Core.WithAsync<IBlobStore>(b => b.PutAsync(key, new MemoryStream(content), CancellationToken.None));
        return (key, sha);
    }

    private Task<bool> ExistsAsync(Guid id) => Core.WithAsync<BuildDbContext, bool>(db => db.Builds.AnyAsync(b => b.Id == id));

    private Task<BlobInfo?> BlobAsync(string key) => Core.WithAsync<IBlobStore, BlobInfo?>(b => b.GetInfoAsync(key, CancellationToken.None));
}
