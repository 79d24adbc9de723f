namespace HybridBuild.Application.Tests;

/// <summary>Builds stored straight into the database, in the state a test starts from.</summary>
internal static class StoredBuilds
{
    /// <summary>A build of one stage per name, every stage in <paramref name="stageStatus"/>; the build in <paramref name="buildStatus"/>.</summary>
    public static async Task<Build> StoreAsync(ApplicationFixture.WiredCore core, BuildStatus buildStatus, StageStatus stageStatus, params string[] stages)
    {
        var now = DateTimeOffset.UtcNow;
        var build = new Build
        {
            Id = Guid.CreateVersion7(), Status = buildStatus, CreatedAt = now, SourceKind = SourceKind.Inline,
            FinishedAt = buildStatus.IsTerminal() ? now : null,
            Stages = [.. stages.Select((name, i) => new Stage
            {
                Id = Guid.CreateVersion7(), Ordinal = i, Name = name, Target = name, Status = stageStatus,
                FinishedAt = stageStatus.IsTerminal() ? now : null, Error = stageStatus == StageStatus.Failed ? "it failed" : null,
            })],
        };
        await core.WithAsync<BuildDbContext>(async db =>
        {
            db.Builds.Add(build);
            await db.SaveChangesAsync();
        });
        return build;
    }
}
