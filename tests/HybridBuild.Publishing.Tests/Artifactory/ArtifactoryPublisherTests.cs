using System.Diagnostics;
using static HybridBuild.Publishing.Tests.Artifactory.ArtifactoryTestKit;

namespace HybridBuild.Publishing.Tests.Artifactory;

public sealed class ArtifactoryPublisherTests : IAsyncLifetime
{
    private ArtifactoryTestServer _server = null!;

    public async Task InitializeAsync() => _server = await ArtifactoryTestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_small_file_is_uploaded_with_its_properties_and_checksums_and_the_server_holds_the_exact_bytes_path_and_properties()
    {
        var content = RandomBytes(3000);
        var properties = new Dictionary<string, IReadOnlyList<string>>
        {
            ["build.sourceversion"] = ["4f2c1d0"],
            ["os"] = ["linux", "windows"],
        };

        var published = await CreatePublisher().PublishFileAsync(
            Target(_server), File("daedalus/1.0/linux/Daedalus", content, properties), CancellationToken.None);

        var stored = _server.Find(Repository, "daedalus/1.0/linux/Daedalus");
        Assert.NotNull(stored);
        Assert.Equal(content, stored.Content);
        Assert.Equal(properties, stored.Properties);
        Assert.False(stored.DeployedByChecksum);
        var request = Assert.Single(_server.Requests);
        Assert.Equal(stored.Sha1, request.ChecksumSha1);
        Assert.Equal(stored.Sha256, request.ChecksumSha256);
        Assert.Null(request.ChecksumDeploy);
        Assert.Equal("Bearer test-access-token", request.Authorization);
        Assert.Equal(new Uri(_server.Url + "/generic-local/daedalus/1.0/linux/Daedalus"), published.Url);
        Assert.False(published.DeployedByChecksum);
        Assert.Equal(1, published.Attempts);
    }

    [Fact]
    public async Task A_large_file_whose_content_the_server_already_has_is_deployed_by_checksum_without_sending_its_body()
    {
        var content = RandomBytes(64 * 1024);
        _server.AddKnownContent(content);
        var opened = new StrongBox<int>(0);

        var published = await CreatePublisher().PublishFileAsync(
            Target(_server), File("copies/big.bin", content, new() { ["k"] = ["v"] }, opened), CancellationToken.None);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("true", request.ChecksumDeploy);
        Assert.Equal(0, request.BodyBytes);
        Assert.Equal(201, request.Status);
        var stored = _server.Find(Repository, "copies/big.bin");
        Assert.NotNull(stored);
        Assert.True(stored.DeployedByChecksum);
        Assert.Equal(content, stored.Content);
        Assert.Equal(["v"], stored.Properties["k"]);
        Assert.True(published.DeployedByChecksum);
        Assert.Equal(1, published.Attempts);
        Assert.Equal(1, opened.Value); // read once for the SHA-1, never for a body
    }

    [Fact]
    public async Task A_large_file_the_server_does_not_know_falls_back_to_a_full_upload()
    {
        var content = RandomBytes(10 * 1024);

        var published = await CreatePublisher().PublishFileAsync(Target(_server), File("new/exactly-10-KiB.bin", content), CancellationToken.None);

        Assert.Collection(_server.Requests,
            byChecksum => { Assert.Equal("true", byChecksum.ChecksumDeploy); Assert.Equal(0, byChecksum.BodyBytes); Assert.Equal(404, byChecksum.Status); },
            upload => { Assert.Null(upload.ChecksumDeploy); Assert.Equal(content.Length, upload.BodyBytes); Assert.Equal(201, upload.Status); });
        Assert.Equal(content, _server.Find(Repository, "new/exactly-10-KiB.bin")?.Content);
        Assert.False(published.DeployedByChecksum);
        Assert.Equal(2, published.Attempts);
    }

    [Fact]
    public async Task Two_503_answers_are_retried_and_the_third_attempt_succeeds()
    {
        var content = RandomBytes(2048);
        _server.FailNext(2, new Fault.Status(503, "Service Unavailable: maintenance"));

        var published = await CreatePublisher().PublishFileAsync(Target(_server), File("retry/a.txt", content), CancellationToken.None);

        Assert.Equal([503, 503, 201], _server.Requests.Select(r => r.Status));
        Assert.All(_server.Requests, r => Assert.Equal(content.Length, r.BodyBytes)); // the body is reopened and resent each time
        Assert.Equal(content, _server.Find(Repository, "retry/a.txt")?.Content);
        Assert.Equal(3, published.Attempts);
    }

    [Fact]
    public async Task A_dropped_connection_and_a_429_are_retried()
    {
        var content = RandomBytes(20 * 1024);
        _server.FailNext(1, new Fault.DropConnection());
        _server.FailNext(1, new Fault.Status(429, "Too many requests"));

        var published = await CreatePublisher().PublishFileAsync(Target(_server), File("retry/b.bin", content), CancellationToken.None);

        Assert.Equal([0, 429, 404, 201], _server.Requests.Select(r => r.Status));
        Assert.Equal(content, _server.Find(Repository, "retry/b.bin")?.Content);
        Assert.Equal(4, published.Attempts);
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_error_is_reported()
    {
        _server.FailNext(10, new Fault.Status(502, "Bad gateway from the proxy"));

        var error = await Assert.ThrowsAsync<PublishException>(() => CreatePublisher(("MaxAttempts", "3"))
            .PublishFileAsync(Target(_server), File("retry/c.txt", RandomBytes(10)), CancellationToken.None));

        Assert.Equal(3, _server.Requests.Count);
        Assert.Equal(502, error.StatusCode);
        Assert.Contains("Bad gateway from the proxy", error.Message);
    }

    [Fact]
    public async Task A_400_is_not_retried_and_the_error_carries_the_servers_message()
    {
        _server.FailNext(1, new Fault.Status(400, "Invalid deploy request: the layout does not allow this path"));

        var error = await Assert.ThrowsAsync<PublishException>(() =>
            CreatePublisher().PublishFileAsync(Target(_server), File("bad/a.txt", RandomBytes(10)), CancellationToken.None));

        Assert.Single(_server.Requests);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("Invalid deploy request: the layout does not allow this path", error.ServerMessage);
        Assert.Contains("Invalid deploy request: the layout does not allow this path", error.Message);
        Assert.Empty(_server.Artifacts);
    }

    [Fact]
    public async Task A_403_is_not_retried_and_the_error_carries_the_servers_message()
    {
        await using var server = await ArtifactoryTestServer.StartAsync(new ArtifactoryTestServerOptions
        {
            Repositories = new HashSet<string> { "releases-local" },
            ReadOnlyRepositories = new HashSet<string> { "releases-local" },
        });

        var error = await Assert.ThrowsAsync<PublishException>(() => CreatePublisher()
            .PublishFileAsync(Target(server, repository: "releases-local"), File("x/y.txt", RandomBytes(10)), CancellationToken.None));

        Assert.Single(server.Requests);
        Assert.Equal(403, error.StatusCode);
        Assert.Contains("Not enough permissions to deploy artifact 'releases-local:x/y.txt'", error.Message);
    }

    [Fact]
    public async Task A_wrong_token_fails_with_401_and_the_error_does_not_contain_the_token()
    {
        const string token = "wrong-secret-token-Zq81";
        var target = Target(_server, PublishCredentials.Token(token));

        var error = await Assert.ThrowsAsync<PublishException>(() =>
            CreatePublisher().PublishFileAsync(target, File("a.txt", RandomBytes(10)), CancellationToken.None));

        Assert.Single(_server.Requests);
        Assert.Equal(401, error.StatusCode);
        Assert.Contains("Bad credentials", error.Message);
        Assert.DoesNotContain(token, error.ToString());
        Assert.DoesNotContain(token, target.ToString());
        Assert.Empty(_server.Artifacts);
    }

    [Fact]
    public async Task Basic_credentials_are_accepted_and_never_printed()
    {
        await using var server = await ArtifactoryTestServer.StartAsync(new ArtifactoryTestServerOptions
        {
            AccessToken = null, Username = "deployer", Password = "p@ss:wörd;1",
        });
        var target = Target(server, PublishCredentials.Basic("deployer", "p@ss:wörd;1"));

        await CreatePublisher().PublishFileAsync(target, File("basic/a.txt", RandomBytes(10)), CancellationToken.None);

        Assert.NotNull(server.Find(Repository, "basic/a.txt"));
        Assert.DoesNotContain("p@ss", target.ToString());
        Assert.Contains("deployer", target.ToString());
    }

    [Fact]
    public async Task Properties_and_paths_with_special_characters_round_trip_exactly()
    {
        var properties = new Dictionary<string, IReadOnlyList<string>>
        {
            ["semi;colon"] = ["a;b", "c=d"],
            ["equals=key"] = ["x,y", "with space", "plus+sign"],
            ["build.ref"] = ["refs/heads/feature/ünïcödé", "100% done"],
            ["日本語"] = ["値", ""],
            ["tab\tand,comma"] = ["emoji 🚀", "back\\slash", "?query&amp#hash"],
        };
        const string path = "spécial dir/a+b;c=d,e/100% file ü.txt";
        var content = RandomBytes(100);

        var published = await CreatePublisher().PublishFileAsync(Target(_server), File(path, content, properties), CancellationToken.None);

        var stored = _server.Find(Repository, path);
        Assert.NotNull(stored);
        Assert.Equal(content, stored.Content);
        Assert.Equal(properties.OrderBy(p => p.Key), stored.Properties.OrderBy(p => p.Key));
        Assert.Equal(path, Uri.UnescapeDataString(published.Url.AbsolutePath)[(ArtifactoryTestServer.ContextPath.Length + Repository.Length + 2)..]);
    }

    [Fact]
    public async Task Cancellation_stops_a_request_the_server_never_answers_promptly()
    {
        _server.FailNext(1, new Fault.Stall());
        using var cts = new CancellationTokenSource();

        var publishing = CreatePublisher().PublishFileAsync(Target(_server), File("slow.txt", RandomBytes(10)), cts.Token);
        var watch = await CancelOnceTheServerHasSeenOneRequestAsync(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publishing);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed} after the cancel");
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Cancellation_stops_the_back_off_between_retries_promptly()
    {
        _server.FailNext(5, new Fault.Status(503, "down"));
        using var cts = new CancellationTokenSource();

        var publishing = CreatePublisher(("InitialBackoff", "00:01:00"), ("MaxBackoff", "00:01:00"))
            .PublishFileAsync(Target(_server), File("later.txt", RandomBytes(10)), cts.Token);
        var watch = await CancelOnceTheServerHasSeenOneRequestAsync(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publishing);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed} after the cancel");
        Assert.Single(_server.Requests);
    }

    /// <summary>
    /// Cancels once the first request has reached the server (not on a timer, which a slow machine can beat
    /// before anything is sent), and returns a stopwatch started at the cancel.
    /// </summary>
    private async Task<Stopwatch> CancelOnceTheServerHasSeenOneRequestAsync(CancellationTokenSource cts)
    {
        var deadline = Stopwatch.StartNew();
        while (_server.Requests.Count == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the publisher sent no request within 30 s");
            await Task.Delay(10);
        }
        var watch = Stopwatch.StartNew();
        cts.Cancel();
        return watch;
    }

    [Fact]
    public async Task Content_that_does_not_match_its_recorded_checksum_is_refused_before_anything_is_sent()
    {
        var file = File("corrupt.bin", RandomBytes(100)) with { Sha256 = new string('a', 64) };

        var error = await Assert.ThrowsAsync<PublishException>(() =>
            CreatePublisher().PublishFileAsync(Target(_server), file, CancellationToken.None));

        Assert.Contains("nothing was published", error.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task An_attempt_that_gets_no_answer_in_time_is_retried()
    {
        _server.FailNext(1, new Fault.Stall());

        var published = await CreatePublisher(("AttemptTimeout", "00:00:01"))
            .PublishFileAsync(Target(_server), File("stalled/a.txt", RandomBytes(10)), CancellationToken.None);

        Assert.Equal([0, 201], _server.Requests.Select(r => r.Status));
        Assert.Equal(2, published.Attempts);
    }

    [Fact]
    public async Task A_retry_waits_at_least_as_long_as_the_servers_Retry_After()
    {
        _server.FailNext(1, new Fault.Status(429, "slow down", TimeSpan.FromSeconds(1)));
        var watch = Stopwatch.StartNew();

        await CreatePublisher(("MaxBackoff", "00:00:05")).PublishFileAsync(Target(_server), File("polite.txt", RandomBytes(10)), CancellationToken.None);

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {watch.Elapsed}");
        Assert.Equal([429, 201], _server.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task Settings_out_of_range_are_refused_with_the_setting_named()
    {
        var publisher = CreatePublisher(("MaxAttempts", "0"));

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            publisher.PublishFileAsync(Target(_server), File("a.txt", RandomBytes(10)), CancellationToken.None));

        Assert.Contains("MaxAttempts", error.Message);
        Assert.Empty(_server.Requests);
    }
}
