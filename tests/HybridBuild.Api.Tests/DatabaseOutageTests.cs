using Testcontainers.PostgreSql;
using Xunit.Abstractions;

namespace HybridBuild.Api.Tests;

/// <summary>
/// PostgreSQL stopped under a running node: the API answers 503 problem+json with Retry-After (never 500), readiness
/// fails while liveness holds, and a stage that was running when the database went away finishes and is recorded
/// once it is back (it finishes during the outage), without being run again.
/// </summary>
[Collection(LiveService.Name)]
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    /// <summary>Longer than Worker:NodeTimeout (20 s), so every node looks dead when the database comes back.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task While_PostgreSQL_is_stopped_every_endpoint_is_a_503_and_a_running_stage_rides_it_out_and_succeeds()
    {
        // a server of its own, on a fixed port, so it can be stopped and started again under the same address
        var port = Ports.Free();
        await using var postgres = new PostgreSqlBuilder("postgres:17").WithPortBinding(port, 5432).Build();
        await postgres.StartAsync();
        var database = new NpgsqlConnectionStringBuilder(postgres.GetConnectionString()) { Host = "127.0.0.1", Port = port }.ConnectionString;
        var shared = Directory.CreateTempSubdirectory("hybridbuild-outage-").FullName;
        try
        {
            await using var node = ServiceProcess.Start("node", database, shared);
            await node.WaitReadyAsync();
            using var client = node.CreateClient();
            var api = new BuildApi(client);
            var readerKey = await api.CreateKeyAsync("reader", ApiScopes.BuildsRead);

            var marker = Guid.NewGuid().ToString("N");
            var build = await api.SubmitAsync(new BuildSpec
            {
                Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
                {
                    ["Dockerfile"] = "FROM busybox AS s\n"
                        + $"RUN echo before-{marker} && for i in $(seq 1 15); do echo tick-$i; sleep 1; done && mkdir /out && echo ok > /out/r.txt\n"
                        + "FROM scratch AS out\nCOPY --from=s /out/ /\n",
                } } },
                Stages = [new StageSpec { Name = "out", Target = "out" }],
            });
            await api.WaitForLogAsync(build.Id, "out", $"before-{marker}", TimeSpan.FromMinutes(2));

            await postgres.StopAsync();
            var stoppedAt = DateTimeOffset.UtcNow;
            output.WriteLine("PostgreSQL stopped");

            await AssertUnavailableAsync(await client.GetAsync($"/api/v1/builds/{build.Id}"));
            await AssertUnavailableAsync(await client.GetAsync("/api/v1/builds"));
            await AssertUnavailableAsync(await client.GetAsync($"/api/v1/builds/{build.Id}/logs"));
            await AssertUnavailableAsync(await api.PostJsonAsync(new BuildSpec
            {
                Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM scratch\n" } } },
                Stages = [new StageSpec { Name = "x" }],
            }, idempotencyKey: "during-outage"));
            await AssertUnavailableAsync(await client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null));
            // a key the database holds cannot be checked: unavailable, not "your key is invalid"
            using (var reader = node.CreateClient())
            {
                reader.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", readerKey);
                await AssertUnavailableAsync(await reader.GetAsync("/api/v1/builds"));
            }
            using (var probe = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) })
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await probe.GetAsync("/health/ready")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/health/live")).StatusCode);
            }

            var rest = Outage - (DateTimeOffset.UtcNow - stoppedAt);
            if (rest > TimeSpan.Zero) await Task.Delay(rest);
            await postgres.StartAsync();
            output.WriteLine($"PostgreSQL started again after {(DateTimeOffset.UtcNow - stoppedAt).TotalSeconds:F1} s");

            var done = await api.WaitSucceededAsync(build.Id, TimeSpan.FromMinutes(3));
            var stage = done.Stages.Single();
            Assert.Equal("ok\n", await client.GetStringAsync(Assert.Single(stage.Artifacts!).Href));
            Assert.Equal(1, await AttemptsAsync(database, build.Id)); // it rode the outage out: not run again
            var log = await api.LogAsync(build.Id, "out");
            Assert.Contains("tick-15", log, StringComparison.Ordinal); // lines printed while the database was away are kept
            Assert.Equal(1, await api.CountAsync()); // the POST refused during the outage stored nothing

            var retried = await api.PostJsonAsync(new BuildSpec
            {
                Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM scratch\n" } } },
                Stages = [new StageSpec { Name = "x" }],
            }, idempotencyKey: "during-outage");
            await BuildApi.AcceptedAsync(retried);
            Assert.Equal(2, await api.CountAsync());
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "unavailable");
            Assert.NotNull(problem["title"]);
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        }
    }

    private static Task<int> AttemptsAsync(string database, Guid buildId) =>
        Sql.ScalarAsync<int>(database, "SELECT \"Attempts\" FROM hybridbuild.stages WHERE \"BuildId\" = @id", ("id", buildId));
}
