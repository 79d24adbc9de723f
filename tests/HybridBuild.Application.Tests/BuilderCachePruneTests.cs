using Hangfire;
using Hangfire.Storage;
using HybridBuild.Application.Builders;
using HybridBuild.BuildKit;
using HybridBuild.BuildKit.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridBuild.Application.Tests;

/// <summary>
/// The recurring cache prune on a real BuildKit: a Docker engine 26 of its own that the test starts (Docker in Docker),
/// so pruning its whole cache takes no cache from tests building on the shared engine at the same time. The cache is a
/// RUN's cache mount: a Docker engine's BuildKit counts toward keep-storage only records it does not share with the image
/// store, and a RUN's layer is shared there, a cache mount never.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BuilderCachePruneTests(ApplicationFixture fixture, BuilderCachePruneTests.Engine engine)
    : CoreTest(fixture), IClassFixture<BuilderCachePruneTests.Engine>
{
    private const long FourMiB = 4L << 20, KeepMiB = 1;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Engine:Builders:0:Name"] = "bounded",
        ["Engine:Builders:0:Address"] = engine.Address,
        ["Engine:Builders:0:CacheKeepStorageMiB"] = KeepMiB.ToString(),
        // down: skipped, and the job goes on to the next builder
        ["Engine:Builders:1:Name"] = "gone",
        ["Engine:Builders:1:Address"] = "unix:///nonexistent/buildkitd.sock",
        ["Engine:Builders:1:CacheKeepStorageMiB"] = "0",
        // no limit: never pruned
        ["Engine:Builders:2:Name"] = "unbounded",
        ["Engine:Builders:2:Address"] = engine.Address,
    };

    protected override void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddHybridBuildEngine(configuration);

    [Fact]
    public async Task The_recurring_job_prunes_a_builders_cache_below_its_CacheKeepStorageMiB_and_reports_what_it_freed()
    {
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = engine.Address });
        var described = await BuildCacheAsync(client);
        Assert.Contains(await client.DiskUsageAsync(described, Deadline()), r => r.Size >= FourMiB);

        var freed = await Core.WithAsync<BuilderCachePrune, long>(job => job.RunAsync(Deadline()));

        Assert.True(freed >= FourMiB, $"freed {freed} bytes");
        Assert.Empty(await client.DiskUsageAsync(described, Deadline()));
        var left = (await client.DiskUsageAsync(null, Deadline())).Where(r => !r.Shared).Sum(r => r.Size);
        Assert.True(left < KeepMiB << 20, $"{left} bytes of cache left");
    }

    [Fact]
    public void The_prune_is_a_recurring_job_on_the_maintenance_queue()
    {
        new RecurringJobManager(Core.Jobs).ScheduleHybridBuildJobs();

        using var connection = Core.Jobs.GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs(), j => j.Id == BuilderCachePrune.JobId);
        Assert.Equal(Jobs.HangfireJobDispatcher.MaintenanceQueue, job.Job.Queue);
        Assert.Equal(typeof(BuilderCachePrune), job.Job.Type);
    }

    /// <summary>Builds a RUN that writes 4 MiB into a cache mount, unique to this call; returns the DiskUsage filter that finds its cache record.</summary>
    private static async Task<IReadOnlyList<string>> BuildCacheAsync(BuildKitClient client)
    {
        var token = "prunejob" + Guid.NewGuid().ToString("N");
        using var context = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(context.Path, "Dockerfile"),
            $"FROM busybox\nRUN --mount=type=cache,id={token},target=/cache echo {token} && dd if=/dev/urandom of=/cache/filler bs=1048576 count=4\n");
        await client.SolveAsync(new SolveRequest { ContextDirectory = context.Path }, null, Deadline());
        return [$"description~={token}"];
    }

    /// <summary>A hang fails the test instead of stalling the run.</summary>
    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    /// <summary>The test's own Docker engine, started once for the class and removed after it.</summary>
    public sealed class Engine : IAsyncLifetime
    {
        private NestedDockerEngine? _engine;

        public string Address => "docker+" + _engine!.Host;

        public async Task InitializeAsync() => _engine = await NestedDockerEngine.StartAsync(
            Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock");

        public async Task DisposeAsync()
        {
            if (_engine is not null) await _engine.DisposeAsync();
        }
    }
}
