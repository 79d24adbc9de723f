using System.Security.Cryptography;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Application.Tests;

/// <summary>
/// Deleting a build against a stage of another build that is committing an artifact with the same content (the same
/// blob): whichever commits first, no record is left pointing at a blob that is gone, and no blob that a record
/// references is removed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BuildDeletionTests(ApplicationFixture fixture) : CoreTest(fixture)
{
    [Fact]
    public async Task A_blob_the_other_build_committed_first_is_kept_when_the_first_build_is_deleted()
    {
        var (old, running, runId, key) = await TwoBuildsSharingABlobAsync();

        Assert.True(await CompleteAsync(running, runId, key));
        await Core.WithAsync<BuildDeletion>(d => d.DeleteAsync(old.Id, CancellationToken.None));

        Assert.NotNull(await BlobAsync(key));
        Assert.Equal(StageStatus.Succeeded, (await StageAsync(running.Stages.Single().Id)).Status);
        Assert.False(await Core.WithAsync<BuildDbContext, bool>(db => db.Builds.AnyAsync(b => b.Id == old.Id)));
    }

    [Fact]
    public async Task A_stage_that_commits_after_a_deletion_removed_its_blob_fails_saying_so_instead_of_pointing_at_nothing()
    {
        var (old, running, runId, key) = await TwoBuildsSharingABlobAsync();

        await Core.WithAsync<BuildDeletion>(d => d.DeleteAsync(old.Id, CancellationToken.None));
        Assert.Null(await BlobAsync(key));
        Assert.True(await CompleteAsync(running, runId, key));

        var stage = await StageAsync(running.Stages.Single().Id);
        Assert.Equal(StageStatus.Failed, stage.Status);
        Assert.Contains("was removed by a build deletion", stage.Error);
        Assert.False(await Core.WithAsync<BuildDbContext, bool>(db => db.Artifacts.AnyAsync(a => a.BlobKey == key)));
    }

    [Fact]
    public async Task A_build_that_is_still_running_cannot_be_deleted()
    {
        var (_, running, _, _) = await TwoBuildsSharingABlobAsync();

        var refused = await Assert.ThrowsAsync<Core.Errors.ConflictException>(() => Core.WithAsync<BuildDeletion>(d => d.DeleteAsync(running.Id, CancellationToken.None)));

        Assert.Contains("cancel it first", refused.Message);
        Assert.True(await Core.WithAsync<BuildDbContext, bool>(db => db.Builds.AnyAsync(b => b.Id == running.Id)));
    }

    /// <summary>A succeeded build whose artifact is a stored blob, and a running stage (claimed under the returned run) about to commit the same content.</summary>
    private async Task<(Build Old, Build Running, Guid RunId, string Key)> TwoBuildsSharingABlobAsync()
    {
        var content = RandomNumberGenerator.GetBytes(1024);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var key = BlobKeys.Artifact(sha);
        await Core.WithAsync<IBlobStore>(b => b.PutAsync(key, new MemoryStream(content), CancellationToken.None));
        var old = await StoredBuilds.StoreAsync(Core, BuildStatus.Succeeded, StageStatus.Succeeded, "out");
        await Core.WithAsync<BuildDbContext>(async db =>
        {
            db.Artifacts.Add(Artifact(old, key, sha));
            await db.SaveChangesAsync();
        });
        var running = await StoredBuilds.StoreAsync(Core, BuildStatus.Running, StageStatus.Queued, "out");
        var runId = Guid.NewGuid();
        Assert.True(await Core.WithAsync<StageLifecycle, bool>(s => s.ClaimAsync(running.Stages.Single().Id, runId, CancellationToken.None)));
        return (old, running, runId, key);
    }

    private Task<bool> CompleteAsync(Build running, Guid runId, string key) =>
        Core.WithAsync<StageLifecycle, bool>(async s =>
        {
            var stage = await StageAsync(running.Stages.Single().Id);
            return await s.CompleteAsync(stage, runId, StageOutcome.Succeeded(null, [Artifact(running, key, key[^64..])]));
        });

    private static Artifact Artifact(Build build, string key, string sha) => new()
    {
        Id = Guid.CreateVersion7(), BuildId = build.Id, StageId = build.Stages.Single().Id, StageName = "out", Path = "same.bin",
        Size = 1024, Sha256 = sha, BlobKey = key,
    };

    private Task<BlobInfo?> BlobAsync(string key) => Core.WithAsync<IBlobStore, BlobInfo?>(b => b.GetInfoAsync(key, CancellationToken.None));

    private Task<Stage> StageAsync(Guid id) =>
        Core.WithAsync<BuildDbContext, Stage>(db => db.Stages.AsNoTracking().SingleAsync(s => s.Id == id));
}
