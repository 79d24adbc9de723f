namespace HybridBuild.Application.Tests;

/// <summary>
/// The sweep of the work directory: what a node that stopped without cleaning up left there (stage-run folders, spec
/// checkouts, upload spool files) goes once it is older than a stage may live and no running stage or delivery holds it;
/// everything else stays.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ScratchSweepTests(ApplicationFixture fixture) : CoreTest(fixture)
{
    [Fact]
    public async Task Left_over_scratch_older_than_a_stage_may_live_goes_unless_a_running_stage_holds_it_and_nothing_else_is_touched()
    {
        var scratch = await Core.WithAsync<ScratchSpace, ScratchSpace>(Task.FromResult);
        var lifetime = await Core.WithAsync<Microsoft.Extensions.Options.IOptions<WorkerOptions>, TimeSpan>(o => Task.FromResult(o.Value.MaxStageLifetime()));
        var old = DateTime.UtcNow - lifetime - TimeSpan.FromMinutes(5);
        var young = DateTime.UtcNow - lifetime + TimeSpan.FromMinutes(5);

        var abandoned = RunFolder(scratch, Guid.NewGuid(), old, readOnlyInside: true);
        var held = RunFolder(scratch, await RunningStageAsync(), old, readOnlyInside: false);
        var recent = RunFolder(scratch, Guid.NewGuid(), young, readOnlyInside: false);
        var checkout = Aged(Directory.CreateDirectory(scratch.SpecCheckout(Guid.NewGuid())).FullName, old);
        var stuckUpload = AgedFile(scratch.NewUploadFile(), old);
        var liveUpload = AgedFile(scratch.NewUploadFile(), young);
        var foreign = Aged(Directory.CreateDirectory(Path.Combine(scratch.Root, "keep-me")).FullName, old);
        var foreignUpload = AgedFile(Path.Combine(scratch.Root, "uploads", "notes.txt"), old);

        var removed = await Core.WithAsync<ScratchSweep, int>(s => s.SweepAsync(CancellationToken.None));

        Assert.Equal(3, removed);
        Assert.False(Directory.Exists(abandoned));
        Assert.False(Directory.Exists(checkout));
        Assert.False(File.Exists(stuckUpload));
        Assert.True(Directory.Exists(held));
        Assert.True(Directory.Exists(recent));
        Assert.True(File.Exists(liveUpload));
        Assert.True(Directory.Exists(foreign));
        Assert.True(File.Exists(foreignUpload));
    }

    /// <summary>A stage-run folder as a stage leaves it mid-export (optionally with a folder it may not write), last written at <paramref name="at"/>.</summary>
    private static string RunFolder(ScratchSpace scratch, Guid runId, DateTime at, bool readOnlyInside)
    {
        var run = scratch.RunDirectory(runId);
        var export = Directory.CreateDirectory(Path.Combine(run, "out", "bin")).FullName;
        File.WriteAllText(Path.Combine(export, "tool"), "#!/bin/sh\n");
        File.WriteAllText(Path.Combine(run, "out", "readme.txt"), "left over\n");
        if (readOnlyInside) File.SetUnixFileMode(export, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return Aged(run, at);
    }

    private static string Aged(string directory, DateTime at)
    {
        Directory.SetLastWriteTimeUtc(directory, at);
        return directory;
    }

    private static string AgedFile(string file, DateTime at)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "spooled");
        File.SetLastWriteTimeUtc(file, at);
        return file;
    }

    /// <summary>The run id of a stage a live worker runs now.</summary>
    private async Task<Guid> RunningStageAsync()
    {
        var build = await StoredBuilds.StoreAsync(Core, BuildStatus.Running, StageStatus.Queued, "s");
        var runId = Guid.NewGuid();
        Assert.True(await Core.WithAsync<StageLifecycle, bool>(s => s.ClaimAsync(build.Stages.Single().Id, runId, CancellationToken.None)));
        return runId;
    }
}
