using HybridBuild.Core.Abstractions;

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
        var stuckUpload = AgedFile(SpoolFile(scratch), old);
        var liveUpload = AgedFile(SpoolFile(scratch), young);
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

    [Fact]
    public async Task A_blob_write_a_node_abandoned_mid_export_goes_once_it_is_older_than_a_stage_may_live_and_a_younger_one_stays()
    {
        var lifetime = await Core.WithAsync<Microsoft.Extensions.Options.IOptions<WorkerOptions>, TimeSpan>(o => Task.FromResult(o.Value.MaxStageLifetime()));
        var temporaries = Path.Combine(await Core.WithAsync<Microsoft.Extensions.Options.IOptions<HybridBuild.Storage.FileSystem.FileSystemStorageOptions>, string>(
            o => Task.FromResult(Path.GetFullPath(o.Value.Root))), ".tmp");
        // two writes whose node died: never committed, never disposed
        var (dead, young) = await Core.WithAsync<IBlobStore, (IBlobWrite, IBlobWrite)>(async b => (await b.BeginWriteAsync(null, CancellationToken.None), await b.BeginWriteAsync(null, CancellationToken.None)));
        await dead.Content.WriteAsync(new byte[100_000]);
        await dead.Content.FlushAsync();
        await young.Content.WriteAsync(new byte[10]);
        await young.Content.FlushAsync();
        var deadFile = Directory.EnumerateFiles(temporaries).Single(f => new FileInfo(f).Length == 100_000);
        File.SetLastWriteTimeUtc(deadFile, DateTime.UtcNow - lifetime - TimeSpan.FromMinutes(5));

        var removed = await Core.WithAsync<ScratchSweep, int>(s => s.SweepBlobTemporariesAsync(CancellationToken.None));

        Assert.True(removed >= 1, "nothing was removed");
        Assert.False(File.Exists(deadFile));
        Assert.Single(Directory.EnumerateFiles(temporaries), f => new FileInfo(f).Length == 10);
        await young.DisposeAsync();
        await dead.DisposeAsync();
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

    /// <summary>Where an earlier version spooled an upload.</summary>
    private static string SpoolFile(ScratchSpace scratch) => Path.Combine(scratch.Root, "uploads", "context-" + Guid.NewGuid().ToString("N"));

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
