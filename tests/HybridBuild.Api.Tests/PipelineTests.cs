namespace HybridBuild.Api.Tests;

/// <summary>How stages run: in parallel, in order, failing, cancelled, from git, for several platforms.</summary>
[Collection(LiveService.Name)]
public sealed class PipelineTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    private static BuildSpec Inline(string dockerfile, params StageSpec[] stages) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = dockerfile } } },
        Stages = [.. stages],
    };

    private static string Nonce() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Two_independent_stages_run_at_the_same_time()
    {
        const string dockerfile = "FROM busybox AS a\nARG nonce\nRUN echo a $nonce && sleep 4\n\nFROM busybox AS b\nARG nonce\nRUN echo b $nonce && sleep 4\n";
        var nonce = Nonce();
        var build = await _api.SubmitAsync(Inline(dockerfile,
            new StageSpec { Name = "a", Target = "a", BuildArgs = new() { ["nonce"] = nonce }, Output = new OutputSpec { Type = OutputType.None } },
            new StageSpec { Name = "b", Target = "b", BuildArgs = new() { ["nonce"] = nonce }, Output = new OutputSpec { Type = OutputType.None } }));

        var done = await _api.WaitSucceededAsync(build.Id);

        var a = done.Stages.Single(s => s.Name == "a");
        var b = done.Stages.Single(s => s.Name == "b");
        Assert.True(a.StartedAt < b.FinishedAt && b.StartedAt < a.FinishedAt,
            $"a ran {a.StartedAt:O}..{a.FinishedAt:O}, b ran {b.StartedAt:O}..{b.FinishedAt:O}: they did not overlap");
    }

    [Fact]
    public async Task A_stage_waits_for_the_stages_it_needs()
    {
        const string dockerfile = "FROM busybox AS first\nARG nonce\nRUN echo $nonce && sleep 1\n\nFROM busybox AS second\nRUN true\n";
        var build = await _api.SubmitAsync(Inline(dockerfile,
            new StageSpec { Name = "second", Target = "second", Needs = ["first"], Output = new OutputSpec { Type = OutputType.None } },
            new StageSpec { Name = "first", Target = "first", BuildArgs = new() { ["nonce"] = Nonce() }, Output = new OutputSpec { Type = OutputType.None } }));

        var done = await _api.WaitSucceededAsync(build.Id);

        Assert.Equal(["second", "first"], done.Stages.Select(s => s.Name)); // listed as submitted
        Assert.True(done.Stages[1].FinishedAt <= done.Stages[0].StartedAt, "second started only after first finished");
    }

    [Fact]
    public async Task A_failing_RUN_fails_its_stage_with_BuildKits_message_and_skips_its_dependants()
    {
        const string dockerfile = "FROM busybox AS broken\nARG nonce\nRUN echo $nonce && echo going down && exit 3\n\nFROM busybox AS fine\nRUN true\n";
        var build = await _api.SubmitAsync(Inline(dockerfile,
            new StageSpec { Name = "broken", Target = "broken", BuildArgs = new() { ["nonce"] = Nonce() }, Output = new OutputSpec { Type = OutputType.None } },
            new StageSpec { Name = "after", Target = "fine", Needs = ["broken"], Output = new OutputSpec { Type = OutputType.None } },
            new StageSpec { Name = "after-after", Target = "fine", Needs = ["after"], Output = new OutputSpec { Type = OutputType.None } }));

        var done = await _api.WaitFinishedAsync(build.Id);

        Assert.Equal(BuildStatus.Failed, done.Status);
        var broken = done.Stages.Single(s => s.Name == "broken");
        Assert.Equal(StageStatus.Failed, broken.Status);
        Assert.Contains("did not complete successfully: exit code: 3", broken.Error);
        Assert.All(done.Stages.Where(s => s.Name != "broken"), s => Assert.Equal(StageStatus.Skipped, s.Status));
        Assert.Contains("going down", await _api.LogAsync(build.Id, "broken"));
    }

    [Fact]
    public async Task An_unknown_target_fails_the_stage_with_BuildKits_message()
    {
        var build = await _api.SubmitAsync(Inline("FROM busybox AS real\n",
            new StageSpec { Name = "ghost", Target = "nope", Output = new OutputSpec { Type = OutputType.None } }));

        var done = await _api.WaitFinishedAsync(build.Id);

        Assert.Equal(BuildStatus.Failed, done.Status);
        Assert.Contains("target stage \"nope\" could not be found", done.Stages.Single().Error);
    }

    [Fact]
    public async Task Cancelling_stops_the_running_solve_and_skips_what_had_not_started()
    {
        var seconds = Random.Shared.Next(300, 900); // a sleep this test can find among the host's processes
        var dockerfile = $"FROM busybox AS slow\nARG nonce\nRUN echo $nonce && sleep {seconds}\n\nFROM busybox AS next\nRUN true\n";
        var build = await _api.SubmitAsync(Inline(dockerfile,
            new StageSpec { Name = "slow", Target = "slow", BuildArgs = new() { ["nonce"] = Nonce() }, Output = new OutputSpec { Type = OutputType.None } },
            new StageSpec { Name = "next", Target = "next", Needs = ["slow"], Output = new OutputSpec { Type = OutputType.None } }));
        await _api.WaitForLogAsync(build.Id, "slow", $"sleep {seconds}", TimeSpan.FromMinutes(2));
        var engineIsLocal = EngineRunsOnThisHost();
        if (engineIsLocal) await WaitForProcessAsync($"sleep {seconds}", running: true);
        var stopwatch = Stopwatch.StartNew();

        using var cancel = await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await _api.WaitFinishedAsync(build.Id, TimeSpan.FromSeconds(60));
        Assert.Equal(BuildStatus.Cancelled, done.Status);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), "the sleeping RUN was stopped, not waited for");
        Assert.Equal(StageStatus.Cancelled, done.Stages.Single(s => s.Name == "slow").Status);
        Assert.Equal(StageStatus.Skipped, done.Stages.Single(s => s.Name == "next").Status);
        Assert.True(done.CancelRequested);
        if (engineIsLocal) await WaitForProcessAsync($"sleep {seconds}", running: false); // BuildKit ended the RUN

        using var again = await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        await BuildApi.ProblemAsync(again, HttpStatusCode.Conflict, "build-finished");
    }

    [Fact]
    public async Task An_image_kept_in_the_engine_is_labelled_and_removed_by_housekeeping_once_its_time_is_up()
    {
        var tag = $"localhost:1/kept-{Nonce()}:latest";
        var build = await _api.SubmitAsync(Inline("FROM scratch AS img\nLABEL purpose=test\n",
            new StageSpec { Name = "img", Target = "img", Output = new OutputSpec { Type = OutputType.Image, Tags = [tag], Push = false } }));
        var done = await _api.WaitSucceededAsync(build.Id);
        using var docker = new Docker.DotNet.DockerClientBuilder().WithEndpoint(new Uri(new HybridBuild.BuildKit.Docker.DockerEngineOptions().ResolvedHost)).Build();
        var image = await docker.Images.InspectImageAsync(tag);
        Assert.Equal(done.Id.ToString(), image.Config?.Labels?["io.hybridbuild.build-id"]);
        Assert.Equal(done.Stages.Single().ImageDigest, image.ID);

        // the engine compares ages in whole seconds: with no time to keep, the image goes within a second or two
        for (var attempt = 0; attempt < 20 && (await docker.Images.ListImagesAsync(new() { Filters = new Dictionary<string, IDictionary<string, bool>> { ["reference"] = new Dictionary<string, bool> { [tag] = true } } })).Count > 0; attempt++)
        {
            await Task.Delay(500);
            await using var scope = service.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<HybridBuild.Application.Pipeline.EngineHousekeeping>().RunAsync(CancellationToken.None);
        }

        await Assert.ThrowsAsync<Docker.DotNet.DockerImageNotFoundException>(() => docker.Images.InspectImageAsync(tag));
    }

    [Fact]
    public async Task An_input_is_never_written_through_a_link_the_context_brings_along()
    {
        using var buffer = new MemoryStream();
        using (var tar = new System.Formats.Tar.TarWriter(buffer, leaveOpen: true))
        {
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"FROM busybox AS make\nRUN mkdir /out && echo {Nonce()} > /out/a.txt\nFROM scratch AS made\nCOPY --from=make /out/ /\nFROM scratch AS use\nCOPY in/ /\n")),
            });
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "real"));
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "in") { LinkName = "real" });
        }
        var spec = new BuildSpec
        {
            Stages =
            [
                new StageSpec { Name = "make", Target = "made" },
                new StageSpec { Name = "use", Target = "use", Inputs = [new StageInputSpec { Stage = "make", Path = "in" }] },
            ],
        };

        var done = await _api.WaitFinishedAsync((await _api.SubmitAsync(spec, buffer.ToArray())).Id);

        Assert.Equal(BuildStatus.Failed, done.Status);
        Assert.Contains("goes through the symbolic link 'in'", done.Stages.Single(s => s.Name == "use").Error);
    }

    [Fact]
    public async Task A_multi_platform_stage_exports_one_folder_per_platform_and_the_manifest_says_which()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM scratch AS files\nARG TARGETPLATFORM\nCOPY hello.txt /\n", ["hello.txt"] = "hello\n" } } },
            Stages = [new StageSpec { Name = "files", Target = "files", Platforms = ["linux/amd64", "linux/arm64"] }],
        };

        var done = await _api.WaitSucceededAsync((await _api.SubmitAsync(spec)).Id);

        var artifacts = done.Stages.Single().Artifacts!;
        Assert.Equal(["linux_amd64/hello.txt", "linux_arm64/hello.txt"], artifacts.Select(a => a.Path).Order());
        Assert.Equal("linux/amd64", artifacts.Single(a => a.Path.StartsWith("linux_amd64/")).Platform);
        Assert.Equal("linux/arm64", artifacts.Single(a => a.Path.StartsWith("linux_arm64/")).Platform);
    }

    [Fact]
    public async Task A_git_repository_is_built_at_the_requested_ref_and_the_commit_is_recorded()
    {
        await using var repository = await GitRepository.CreateAsync(new Dictionary<string, string>
        {
            ["Dockerfile"] = "FROM scratch AS out\nCOPY version.txt /\n",
            ["version.txt"] = "from git\n",
        }, branch: "release");
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Git = new GitSourceSpec { Url = repository.Url, Ref = "release" } },
            Stages = [new StageSpec { Name = "out", Target = "out" }],
        };
        var done = await _api.WaitSucceededAsync((await _api.SubmitAsync(spec)).Id);

        Assert.Equal(repository.Commit, done.Source.GitCommit);
        var file = done.Stages.Single().Artifacts!.Single();
        Assert.Equal("from git\n", await service.Client.GetStringAsync(file.Href));
    }

    [Fact]
    public async Task Every_stage_of_a_git_build_builds_the_commit_its_first_stage_resolved_even_after_the_branch_moves()
    {
        await using var repository = await GitRepository.CreateAsync(new Dictionary<string, string>
        {
            ["Dockerfile"] = "FROM busybox AS slow\nCOPY version.txt /\nRUN sleep 4\nFROM scratch AS out\nCOPY version.txt /\n",
            ["version.txt"] = "first\n",
        });
        var first = repository.Commit;
        var build = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Git = new GitSourceSpec { Url = repository.Url, Ref = "main" } },
            Stages =
            [
                new StageSpec { Name = "a", Target = "slow", Output = new OutputSpec { Type = OutputType.None } },
                new StageSpec { Name = "b", Target = "out", Needs = ["a"] },
            ],
        });
        await _api.WaitForLogAsync(build.Id, "a", $"checked out commit {first}", TimeSpan.FromMinutes(2));
        var moved = await repository.CommitAsync(new Dictionary<string, string> { ["version.txt"] = "second\n" }, "two"); // main moves while a runs

        var done = await _api.WaitSucceededAsync(build.Id);
        Assert.NotEqual(first, moved);
        Assert.Equal(first, done.Source.GitCommit);
        Assert.Equal("first\n", await service.Client.GetStringAsync(done.Stages.Single(s => s.Name == "b").Artifacts!.Single().Href));
        Assert.Contains($"checked out commit {first}", await _api.LogAsync(build.Id, "b"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retried_submission_with_the_same_idempotency_key_returns_the_same_build()
    {
        var spec = Inline("FROM busybox AS x\nRUN true\n", new StageSpec { Name = "x", Target = "x", Output = new OutputSpec { Type = OutputType.None } });
        var key = Nonce();
        var before = await _api.CountAsync();

        using var first = await _api.PostJsonAsync(spec, key);
        using var second = await _api.PostJsonAsync(spec, key);

        var a = await BuildApi.AcceptedAsync(first);
        var b = await BuildApi.AcceptedAsync(second);
        Assert.Equal(a.Id, b.Id);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(before + 1, await _api.CountAsync());

        var other = Inline("FROM busybox AS y\nRUN true\n", new StageSpec { Name = "y", Target = "y", Output = new OutputSpec { Type = OutputType.None } });
        using var reused = await _api.PostJsonAsync(other, key);
        await BuildApi.ProblemAsync(reused, HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        await _api.WaitFinishedAsync(a.Id);
    }

    /// <summary>With the engine on this host (its local socket), the processes of a RUN step are visible in /proc.</summary>
    private static bool EngineRunsOnThisHost() =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is null or "" or "unix:///var/run/docker.sock" && Directory.Exists("/proc/self");

    private static async Task WaitForProcessAsync(string commandLine, bool running)
    {
        for (var i = 0; i < 150; i++)
        {
            var found = Directory.EnumerateDirectories("/proc").Any(p =>
            {
                try { return File.ReadAllText(Path.Combine(p, "cmdline")).Replace('\0', ' ').Trim() == commandLine; }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            });
            if (found == running) return;
            await Task.Delay(200);
        }
        Assert.Fail(running ? $"'{commandLine}' never ran on this host" : $"'{commandLine}' still runs after the build was cancelled");
    }
}
