using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Solve;

/// <summary>
/// DiskUsage and Prune on the real Docker engine's BuildKit. Other tests share that cache, so each test prunes only
/// the record its own RUN left: DiskUsage finds it by a token unique to the test in its description, and the prune is
/// filtered to its id (BuildKit before v0.14, Docker 26's among them, matches prune filters on no description).
/// </summary>
[Collection(DockerDaemon.Collection)]
public sealed class BuildCacheTests
{
    private const long FourMiB = 4L << 20;

    [Fact]
    public async Task A_RUN_leaves_a_cache_record_that_DiskUsage_shows_and_Prune_to_keep_nothing_removes_reporting_its_bytes()
    {
        await using var client = await DockerDaemon.ConnectAsync();
        var described = await BuildCacheAsync(client);

        var record = Assert.Single(await client.DiskUsageAsync(described, DockerDaemon.BuildDeadline()));
        Assert.True(record.Size >= FourMiB, $"{record.Size} bytes");
        Assert.False(record.InUse);
        Assert.NotNull(record.CreatedAt);
        string[] mine = [$"id=={record.Id}"];

        var pruned = await client.PruneAsync(new PruneOptions { KeepStorage = 0, All = true, Filters = mine }, DockerDaemon.BuildDeadline());

        Assert.True(pruned.Records >= 1, $"removed {pruned.Records} records");
        Assert.True(pruned.Bytes >= FourMiB, $"removed {pruned.Bytes} bytes");
        Assert.Empty(await client.DiskUsageAsync(described, DockerDaemon.BuildDeadline()));
    }

    [Fact]
    public async Task A_prune_whose_keep_storage_the_cache_fits_in_removes_nothing()
    {
        await using var client = await DockerDaemon.ConnectAsync();
        var described = await BuildCacheAsync(client);
        string[] mine = [$"id=={Assert.Single(await client.DiskUsageAsync(described, DockerDaemon.BuildDeadline())).Id}"];

        var pruned = await client.PruneAsync(new PruneOptions { KeepStorage = 1L << 50, All = true, Filters = mine }, DockerDaemon.BuildDeadline());

        Assert.Equal(new PruneResult(0, 0), pruned);
        Assert.Single(await client.DiskUsageAsync(mine, DockerDaemon.BuildDeadline()));
        await client.PruneAsync(new PruneOptions { All = true, Filters = mine }, DockerDaemon.BuildDeadline());
    }

    [Fact]
    public async Task A_prune_to_a_keep_storage_below_the_caches_size_removes_the_least_recently_used_records()
    {
        await using var client = await DockerDaemon.ConnectAsync();
        var described = await BuildCacheAsync(client);
        string[] mine = [$"id=={Assert.Single(await client.DiskUsageAsync(described, DockerDaemon.BuildDeadline())).Id}"];

        var pruned = await client.PruneAsync(new PruneOptions { KeepStorage = 1, All = true, Filters = mine }, DockerDaemon.BuildDeadline());

        Assert.Equal(1, pruned.Records);
        Assert.True(pruned.Bytes >= FourMiB, $"removed {pruned.Bytes} bytes");
        Assert.Empty(await client.DiskUsageAsync(mine, DockerDaemon.BuildDeadline()));
    }

    [Fact]
    public void Negative_sizes_and_durations_are_refused_before_any_call()
    {
        var client = BuildKitClient.Create(new BuildKitClientOptions { Address = "unix:///nonexistent/buildkitd.sock" });

        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.PruneAsync(new PruneOptions { KeepStorage = -1 }, CancellationToken.None); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.PruneAsync(new PruneOptions { KeepDuration = TimeSpan.FromSeconds(-1) }, CancellationToken.None); });
    }

    /// <summary>Builds a RUN that writes 4 MiB, unique to this call; returns the DiskUsage filter that finds its cache record.</summary>
    private static async Task<IReadOnlyList<string>> BuildCacheAsync(BuildKitClient client)
    {
        var token = "cachetest" + Guid.NewGuid().ToString("N");
        using var work = new BuildDirectory().With("Dockerfile",
            $"FROM busybox\nRUN echo {token} && dd if=/dev/urandom of=/filler bs=1048576 count=4\n");
        await client.SolveAsync(new SolveRequest { ContextDirectory = work.Context }, null, DockerDaemon.BuildDeadline());
        return [$"description~={token}"];
    }
}
