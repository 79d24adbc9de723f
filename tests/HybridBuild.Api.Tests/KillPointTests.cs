namespace HybridBuild.Api.Tests;

/// <summary>
/// The only node SIGKILLed at the other moments of a build's life than the mid-solve and never-enqueued ones of
/// <see cref="KillRecoveryTests"/>: while a context is uploaded, while BuildKit's export streams into blob storage,
/// while a publication waits on its target and while a delivery reads its spec file. Each time, once
/// a node runs again on the same database and storage, everything reaches a terminal state, and what was interrupted
/// is finished.
/// </summary>
[Collection(LiveService.Name)]
public sealed class KillPointTests(ServiceFixture service) : IAsyncLifetime
{
    private string _database = "";
    private string _shared = "";

    public async Task InitializeAsync()
    {
        _database = await service.CreateDatabaseAsync();
        _shared = Directory.CreateTempSubdirectory("hybridbuild-killpoint-").FullName;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_shared, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_node_killed_while_a_context_is_uploaded_leaves_no_build_behind()
    {
        await using (var first = ServiceProcess.Start("node", _database, _shared))
        {
            await first.WaitReadyAsync();
            using var client = first.CreateClient();
            var body = new EndlessContext();
            var form = new MultipartFormDataContent
            {
                { new StringContent("""{"stages":[{"name":"out","target":"out"}]}""", Encoding.UTF8, "application/json"), "spec" },
                { body, "context", "context.tar" },
            };
            var upload = client.PostAsync("/api/v1/builds", form);
            await body.Sent.WaitAsync(TimeSpan.FromMinutes(1)); // the node is reading the context part
            await first.KillAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => upload);
        }

        await using var second = ServiceProcess.Start("node", _database, _shared);
        await second.WaitReadyAsync();
        using var api = second.CreateClient();
        Assert.Equal(0, await new BuildApi(api).CountAsync());
    }

    [Fact]
    public async Task A_node_killed_while_a_stage_streams_its_files_into_the_store_runs_it_again_and_stores_every_byte()
    {
        const int megabytes = 256;
        var marker = Guid.NewGuid().ToString("N"); // keeps the RUN step out of BuildKit's cache
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                ["Dockerfile"] = $"FROM busybox AS s\nRUN mkdir /out && dd if=/dev/zero of=/out/big.bin bs=1M count={megabytes} && echo {marker}\nFROM scratch AS out\nCOPY --from=s /out/ /\n",
            } } },
            Stages = [new StageSpec { Name = "out", Target = "out" }],
        };
        Guid buildId;
        await using (var first = ServiceProcess.Start("node", _database, _shared))
        {
            await first.WaitReadyAsync();
            using var client = first.CreateClient();
            var api = new BuildApi(client);
            buildId = (await api.SubmitAsync(spec)).Id;
            // BuildKit's export streams into a temporary of the blob store (the native engine writes no work-directory copy):
            // inotify reports it as it is created, where polling could miss it; the store is watched only once the
            // submission has stored its context there
            using var streaming = new FileMoment(Path.Combine(_shared, "blobs", ".tmp"), name: null);
            var caught = await streaming.SeenAsync(TimeSpan.FromMinutes(2));
            await first.KillAsync();
            Assert.True(caught, $"the node was never seen streaming the export into the store:\n{first.Output}");
        }

        await using var second = ServiceProcess.Start("node", _database, _shared);
        await second.WaitReadyAsync();
        using var secondClient = second.CreateClient();
        var done = await new BuildApi(secondClient).WaitSucceededAsync(buildId, TimeSpan.FromMinutes(3));
        var artifact = Assert.Single(done.Stages.Single().Artifacts!);
        Assert.Equal("big.bin", artifact.Path);
        Assert.Equal(megabytes << 20, artifact.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[megabytes << 20])), artifact.Sha256);
        await using var download = await secondClient.GetStreamAsync(artifact.Href);
        Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(download)));
    }

    [Fact]
    public async Task A_node_killed_while_a_publication_waits_on_its_target_is_published_by_the_next_node()
    {
        var port = service.Artifactory.Url.Port;
        await using var gate = new StallingGate(port);
        var target = service.Artifactory.Url.ToString().Replace($":{port}/", $":{gate.Port}/");
        (string, string)[] settings =
        [
            ("Publishing__Targets__gated__Type", "artifactory"),
            ("Publishing__Targets__gated__Url", target),
            ("Publishing__Targets__gated__Repository", "generic-local"),
            ("Publishing__Targets__gated__Token", ServiceFixture.ArtifactoryToken),
        ];
        var content = $"published after a kill {Guid.NewGuid():N}\n";
        string publication;
        await using (var first = ServiceProcess.Start("node", _database, _shared, settings))
        {
            await first.WaitReadyAsync();
            using var client = first.CreateClient();
            var api = new BuildApi(client);
            var build = await api.WaitSucceededAsync((await api.SubmitAsync(new BuildSpec
            {
                Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM scratch AS out\nCOPY notes.txt /\n", ["notes.txt"] = content } } },
                Stages = [new StageSpec { Name = "docs", Target = "out" }],
            })).Id);
            using var accepted = await client.PostAsJsonAsync($"/api/v1/builds/{build.Id}/publications", new { target = "gated", path = "killed/{buildId}/{file}" });
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            publication = accepted.Headers.Location!.ToString();
            await WaitUntilAsync(() => gate.Stalled > 0, "the publication never reached its target");
            Assert.Equal("running", await PublicationStatusAsync(client, publication));
            await first.KillAsync();
        }
        gate.Open();

        await using var second = ServiceProcess.Start("node", _database, _shared, settings);
        await second.WaitReadyAsync();
        using var secondClient = second.CreateClient();
        JsonObject done = null!;
        await WaitUntilAsync(async () =>
        {
            done = (await secondClient.GetFromJsonAsync<JsonObject>(publication))!;
            return done["status"]!.GetValue<string>() is "succeeded" or "failed";
        }, "the publication never finished");
        Assert.True(done["status"]!.GetValue<string>() == "succeeded", done.ToJsonString());
        var published = Assert.Single(service.Artifactory.Artifacts, a => Encoding.UTF8.GetString(a.Content) == content);
        Assert.StartsWith("killed/", published.Path);
    }

    [Fact]
    public async Task A_node_killed_while_a_delivery_reads_its_spec_file_starts_the_build_on_the_next_node()
    {
        await using var repository = await SpecRepository.CreateAsync();
        await using var gate = new StallingGate(repository.Port);
        Guid delivery;
        string trigger;
        await using (var first = ServiceProcess.Start("node", _database, _shared))
        {
            await first.WaitReadyAsync();
            using var client = first.CreateClient();
            using var created = await client.PostAsJsonAsync("/api/v1/triggers", new
            {
                name = "gated", repositoryUrl = $"git://127.0.0.1:{gate.Port}/app.git", provider = "github", branches = new[] { "main" },
                secret = SpecRepository.Secret, specPath = "hybridbuild.json",
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
            trigger = body["id"]!.GetValue<string>();
            using var accepted = await repository.DeliverAsync(first.BaseAddress, body["webhookUrl"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            delivery = Guid.Parse((await accepted.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
            await WaitUntilAsync(() => gate.Stalled > 0, "the spec-file job never reached the repository");
            await first.KillAsync();
        }
        gate.Open();

        await using var second = ServiceProcess.Start("node", _database, _shared);
        await second.WaitReadyAsync();
        using var secondClient = second.CreateClient();
        JsonNode logged = null!;
        await WaitUntilAsync(async () =>
        {
            logged = JsonNode.Parse(await secondClient.GetStringAsync($"/api/v1/triggers/{trigger}/deliveries"))!.AsArray()
                .Single(d => d!["id"]!.GetValue<string>() == delivery.ToString())!;
            return logged["outcome"]!.GetValue<string>() is not ("queued" or "running");
        }, "the delivery never finished");
        Assert.True(logged["outcome"]!.GetValue<string>() == "started", logged.ToJsonString());
        var build = await new BuildApi(secondClient).WaitSucceededAsync(Guid.Parse(logged["buildId"]!.GetValue<string>()));
        Assert.Equal(repository.Commit, build.Source.GitCommit);
        Assert.Equal("from-file", build.Stages.Single().Name);
    }

    private static async Task<string> PublicationStatusAsync(HttpClient client, string publication) =>
        (await client.GetFromJsonAsync<JsonObject>(publication))!["status"]!.GetValue<string>();

    /// <summary>
    /// The moment a file (named so, or any but the blob store's probes) is created anywhere below a folder, as inotify
    /// reports it; the folder is made first, so the watch is in place before the node writes there.
    /// </summary>
    private sealed class FileMoment : IDisposable
    {
        private readonly FileSystemWatcher _watcher;
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FileMoment(string folder, string? name)
        {
            Directory.CreateDirectory(folder);
            _watcher = new FileSystemWatcher(folder, name ?? "*") { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName };
            _watcher.Created += (_, e) =>
            {
                if (!Path.GetFileName(e.FullPath).StartsWith("probe-", StringComparison.Ordinal)) _seen.TrySetResult();
            };
            _watcher.EnableRaisingEvents = true;
        }

        public async Task<bool> SeenAsync(TimeSpan timeout) => await Task.WhenAny(_seen.Task, Task.Delay(timeout)) == _seen.Task;

        public void Dispose() => _watcher.Dispose();
    }

    private static Task WaitUntilAsync(Func<bool> done, string failure) => WaitUntilAsync(() => Task.FromResult(done()), failure);

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string failure)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(3);
        while (!await done())
        {
            if (DateTimeOffset.UtcNow > deadline) Assert.Fail(failure);
            await Task.Delay(200);
        }
    }

    /// <summary>A context part that sends a little and then never ends, until the connection dies.</summary>
    private sealed class EndlessContext : HttpContent
    {
        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Sent => _sent.Task;

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        /// <summary>A megabyte at once, then a byte every 100 ms: a write to a dead connection fails, ending the request.</summary>
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var chunk = new byte[64 << 10];
            for (var i = 0; i < 16; i++) await stream.WriteAsync(chunk, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            _sent.TrySetResult();
            while (true)
            {
                await Task.Delay(100, cancellationToken);
                await stream.WriteAsync(chunk.AsMemory(0, 1), cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>A repository with a spec file, served by git daemon on loopback, and a signed GitHub push of its commit.</summary>
    private sealed class SpecRepository : IAsyncDisposable
    {
        public const string Secret = "webhook-secret-for-kill-tests-0123456789";
        private readonly GitRepository _repository;

        private SpecRepository(GitRepository repository) => _repository = repository;

        public int Port => _repository.Port;
        public string Commit => _repository.Commit;

        public static async Task<SpecRepository> CreateAsync() => new(await GitRepository.CreateAsync(new Dictionary<string, string>
        {
            ["Dockerfile"] = "FROM scratch AS out\nCOPY version.txt /\n",
            ["version.txt"] = $"pushed {Guid.NewGuid():N}\n",
            ["hybridbuild.json"] = """{"stages":[{"name":"from-file","target":"out"}]}""",
        }));

        public async Task<HttpResponseMessage> DeliverAsync(Uri node, string webhook)
        {
            var payload = $$$"""{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"{{{Commit}}}","repository":{"full_name":"org/app"},"pusher":{"name":"t"}}""";
            using var client = new HttpClient { BaseAddress = node };
            var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-GitHub-Event", "push");
            request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(payload))));
            return await client.SendAsync(request);
        }

        public ValueTask DisposeAsync() => _repository.DisposeAsync();
    }
}
