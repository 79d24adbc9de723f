namespace HybridBuild.Api.Tests;

/// <summary>
/// A build's log is bounded by Worker:MaxLogBytes (one marker line, then nothing; the build says logTruncated), and
/// below that bound nothing is lost: a step that prints 10 MB gets all of it back, on an engine whose BuildKit does not
/// clip step logs itself.
/// </summary>
[Collection(LiveService.Name)]
public sealed class LogLimitTests(ServiceFixture service)
{
    /// <summary>
    /// A Docker engine whose BuildKit runs with BUILDKIT_STEP_LOG_MAX_SIZE=-1 and BUILDKIT_STEP_LOG_MAX_SPEED=-1; when unset,
    /// the engine the tests start, which has them (<see cref="DockerEngines.UnclippedAsync"/>).
    /// </summary>
    public const string UnclippedEngineVariable = "HYBRIDBUILD_TEST_UNCLIPPED_DOCKER_HOST";

    /// <summary>
    /// A step that prints <paramref name="lines"/> numbered lines of ~94 bytes, then "END-<paramref name="nonce"/>", a last
    /// line that must not be lost (or must be, past the limit); awk joins it, so the step's name does not hold it.
    /// </summary>
    private static BuildSpec Printing(int lines, string nonce) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
        {
            ["Dockerfile"] = "FROM busybox AS s\nRUN awk 'BEGIN { for (i = 1; i <= " + lines
                + "; i++) printf \"line %06d " + new string('x', 80) + "\\n\", i; print \"END\" \"-" + nonce + "\" }'\n",
        } } },
        Stages = [new StageSpec { Name = "s", Target = "s", Output = new OutputSpec { Type = OutputType.None } }],
    };

    [Fact]
    public async Task A_log_past_the_limit_ends_in_one_marker_line_the_build_says_logTruncated_and_its_stage_events_are_kept()
    {
        const int limit = 16 * 1024;
        var shared = Directory.CreateTempSubdirectory("hybridbuild-loglimit-").FullName;
        var database = await service.CreateDatabaseAsync();
        await using var node = ServiceProcess.Start("node", database, shared, ("Worker__MaxLogBytes", limit.ToString()));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);
        var nonce = Guid.NewGuid().ToString("N");
        var end = $"END-{nonce}";

        // 600 lines, ~56 KB: four times the limit, and far under BuildKit's own clipping (200 KiB in a step's first second)
        var chatty = await api.WaitSucceededAsync((await api.SubmitAsync(Printing(600, nonce))).Id);
        var quiet = await api.WaitSucceededAsync((await api.SubmitAsync(Printing(10, nonce))).Id);

        Assert.True(chatty.LogTruncated);
        Assert.Contains("\"logTruncated\":true", await client.GetStringAsync($"/api/v1/builds/{chatty.Id}"));
        var log = await api.LogAsync(chatty.Id, "s");
        Assert.Contains("line 000001 ", log);
        Assert.DoesNotContain(end, log);
        var marker = Assert.Single(log.Split('\n'), l => l.Contains("log truncated"));
        Assert.Contains($"{limit} bytes (Worker:MaxLogBytes)", marker);
        Assert.EndsWith("==> stage s: succeeded", log.TrimEnd('\n')); // stage events are kept past the limit
        Assert.InRange(await StoredLogBytesAsync(database, chatty.Id), limit / 2, limit + marker.Length);
        // the limit is each build's own
        Assert.False(quiet.LogTruncated);
        Assert.Contains(end, await api.LogAsync(quiet.Id, "s"));
        Directory.Delete(shared, recursive: true);
    }

    [Fact]
    public async Task A_step_that_prints_10_MB_gets_every_line_of_it_back_in_the_log()
    {
        const int lines = 110_000; // ~10.3 MB
        var engine = await DockerEngines.UnclippedAsync(service);
        var shared = Directory.CreateTempSubdirectory("hybridbuild-biglog-").FullName;
        await using var node = ServiceProcess.Start("node", await service.CreateDatabaseAsync(), shared, ("Engine__Docker__Host", engine));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);
        var nonce = Guid.NewGuid().ToString("N");

        var build = await api.WaitSucceededAsync((await api.SubmitAsync(Printing(lines, nonce))).Id, TimeSpan.FromMinutes(5));
        var log = await api.LogAsync(build.Id, "s");

        if (log.Split('\n').FirstOrDefault(l => l.Contains("[output clipped")) is { } clipped)
            Assert.Fail($"BuildKit clipped the step's log itself ({clipped.Trim()}): the engine at {engine} runs with BuildKit's default "
                + $"per-step limits. Give it BUILDKIT_STEP_LOG_MAX_SIZE=-1 and BUILDKIT_STEP_LOG_MAX_SPEED=-1 (in dockerd's environment for Docker's "
                + $"embedded BuildKit), or set {UnclippedEngineVariable} to a Docker engine that has them.");
        var numbered = log.Split('\n').Where(l => l.Contains(" line ")).Select(l => l[(l.IndexOf(" line ", StringComparison.Ordinal) + 6)..][..6]).ToList();
        Assert.Equal(lines, numbered.Count);
        Assert.Equal(Enumerable.Range(1, lines).Select(i => i.ToString("000000")), numbered);
        Assert.Contains($"END-{nonce}", log);
        Assert.False(build.LogTruncated);
        Directory.Delete(shared, recursive: true);
    }

    private static Task<long> StoredLogBytesAsync(string database, Guid buildId) =>
        Sql.ScalarAsync<long>(database,
            "SELECT coalesce(sum(octet_length(\"Data\")), 0) FROM hybridbuild.log_events WHERE \"BuildId\" = @id AND \"Kind\" = 'Log'", ("id", buildId));
}
