namespace HybridBuild.Api.Tests.Cli;

/// <summary>The packed <c>hbs</c> tool against the running service: the seed's scenarios, failures, Ctrl-C, and buildx's own output.</summary>
[Collection(LiveService.Name)]
public sealed class CliTests(ServiceFixture service) : IDisposable
{
    private readonly BuildApi _api = new(service.Client);
    private readonly string _scratch = Directory.CreateTempSubdirectory("hbs-cli-").FullName;

    [Fact]
    public async Task Hbs_build_of_the_Artifactory_example_writes_the_same_files_and_modes_as_docker_buildx_build_and_the_executable_runs()
    {
        var hbsOut = Path.Combine(_scratch, "hbs");
        var buildxOut = Path.Combine(_scratch, "buildx");

        var result = await HbsTool.RunAsync(service, ["build", HbsTool.Example("artifactory"), "--target", "staging",
            "--build-arg", "dotnet_runtime=linux-x64", "--output", $"type=local,dest={hbsOut}", "--progress=plain"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"#\d+ \[build \d+/\d+\] RUN dotnet publish", result.Stderr); // buildx's plain progress
        Assert.Matches(@"#\d+ DONE \d+\.\d+s", result.Stderr);
        var executable = Path.Combine(hbsOut, "Daedalus");
        var run = Process.Start(new ProcessStartInfo(executable) { RedirectStandardOutput = true })!;
        var output = await run.StandardOutput.ReadToEndAsync();
        await run.WaitForExitAsync();
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Hello from Daedalus on linux-x64", output);

        var buildx = await DockerBuildxAsync("build", "--target", "staging", "--build-arg", "dotnet_runtime=linux-x64",
            "--output", $"type=local,dest={buildxOut}", HbsTool.Example("artifactory"));
        Assert.True(buildx.ExitCode == 0, buildx.ToString());
        Assert.Equal(Snapshot(buildxOut), Snapshot(hbsOut));
    }

    [Fact]
    public async Task Hbs_bake_runs_the_WASM_scenario_from_a_YAML_spec_exporting_the_module_and_pushing_the_wasi_wasm_image()
    {
        var tag = $"{service.Registry}/hbs-wasm:{Guid.NewGuid():N}";
        var specFile = Path.Combine(_scratch, "hybridbuild.yaml");
        await File.WriteAllTextAsync(specFile, $"""
            stages:
              - name: build
                target: staging
              - name: image
                target: final
                platforms: [wasi/wasm]
                inputs:
                  - stage: build
                    path: docker_out
                output:
                  type: image
                  tags: ["{tag}"]
                  push: true
            """);
        var dest = Path.Combine(_scratch, "out");

        var result = await HbsTool.RunAsync(service, ["bake", "-f", specFile, HbsTool.Example("wasm"), "--output", dest, "--progress", "plain"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[image]", result.Stderr); // several stages: each step names its stage
        Assert.Equal("\0asm"u8.ToArray(), (await File.ReadAllBytesAsync(Path.Combine(dest, "HelloWasm.wasm")))[..4]);
        var id = BuildId(result.Stderr);
        var image = (await _api.GetAsync(id)).Stages.Single(s => s.Name == "image");
        Assert.Equal(image.ImageDigest, await PushedDigestAsync(tag));
    }

    [Fact]
    public async Task Buildx_flags_map_onto_the_stage_a_Dockerfile_by_f_build_args_from_the_environment_platform_and_tag_with_push()
    {
        var context = Context(new()
        {
            ["docker/app.Dockerfile"] = "FROM busybox AS b\nARG FROM_ENV\nARG GIVEN\nRUN echo \"$FROM_ENV $GIVEN\" > /v\nFROM scratch AS out\nCOPY --from=b /v /\n",
        });
        var dest = Path.Combine(_scratch, "flags");
        string[] common = ["build", context, "-f", Path.Combine(context, "docker", "app.Dockerfile"), "--target", "out",
            "--build-arg", "FROM_ENV", "--build-arg", "GIVEN=given", "--build-arg", "UNSET_IN_ENV", "--platform", "linux/amd64"];

        var local = await HbsTool.RunAsync(service, [.. common, "-o", dest], environment: new Dictionary<string, string?> { ["FROM_ENV"] = "from-env", ["UNSET_IN_ENV"] = null });

        Assert.True(local.ExitCode == 0, local.ToString());
        Assert.Equal("from-env given\n", await File.ReadAllTextAsync(Path.Combine(dest, "v")));
        var stage = (await _api.GetAsync(BuildId(local.Stderr))).Stages.Single();
        Assert.Equal(["linux/amd64"], stage.Platforms);
        Assert.False(stage.BuildArgs.ContainsKey("UNSET_IN_ENV")); // as buildx: a name without a value, unset in the environment, is left out

        var tag = $"{service.Registry}/hbs-flags:{Guid.NewGuid():N}";
        var pushed = await HbsTool.RunAsync(service, [.. common, "-t", tag, "--push"]);

        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        var image = (await _api.GetAsync(BuildId(pushed.Stderr))).Stages.Single();
        Assert.Equal(OutputType.Image, image.Output.Type);
        Assert.True(image.Output.Push);
        Assert.Equal([tag], image.Output.Tags);
        Assert.Equal(image.ImageDigest, await PushedDigestAsync(tag));

        var tarball = Path.Combine(_scratch, "image", "out.tar");
        var oci = await HbsTool.RunAsync(service, [.. common, "--output", $"type=oci,dest={tarball},name=localhost:5000/hbs-oci:1"]);

        Assert.True(oci.ExitCode == 0, oci.ToString());
        await using var archive = File.OpenRead(tarball);
        var entries = new List<string>();
        await using (var reader = new TarReader(archive))
            while (await reader.GetNextEntryAsync() is { } entry) entries.Add(entry.Name);
        Assert.Contains("index.json", entries); // an OCI image layout, as buildx writes for type=oci
    }

    [Fact]
    public async Task Hbs_cancel_stops_a_running_build()
    {
        var build = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = $"FROM busybox\nRUN echo {Guid.NewGuid():N} && sleep 600\n" } } },
            Stages = [new StageSpec { Name = "slow" }],
        });
        await _api.WaitAsync(build.Id, b => b.Status == BuildStatus.Running, TimeSpan.FromMinutes(2));

        var result = await HbsTool.RunAsync(service, ["cancel", build.Id.ToString()]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("cancel requested", result.Stdout);
        Assert.Equal(BuildStatus.Cancelled, (await _api.WaitFinishedAsync(build.Id)).Status);
        var again = await HbsTool.RunAsync(service, ["cancel", build.Id.ToString()]);
        Assert.True(again.ExitCode == 1, again.ToString()); // a finished build: the service's 409, shown as its problem
        Assert.StartsWith("error: ", again.Stderr);
    }

    [Fact]
    public async Task A_failing_build_exits_1_showing_the_failed_step_and_the_stage_error()
    {
        var context = Context(new() { ["Dockerfile"] = "FROM busybox\nRUN echo about-to-fail && exit 3\n" });

        var result = await HbsTool.RunAsync(service, ["build", context, "--progress=plain"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("about-to-fail", result.Stderr);
        Assert.Matches(@"#\d+ ERROR: ", result.Stderr);
        Assert.Contains("ERROR: failed to solve: stage build:", result.Stderr);
        Assert.Equal(BuildStatus.Failed, (await _api.GetAsync(BuildId(result.Stderr))).Status);
    }

    [Fact]
    public async Task Ctrl_C_cancels_the_running_build_on_the_service_and_exits_130()
    {
        var context = Context(new() { ["Dockerfile"] = $"FROM busybox\nRUN echo {Guid.NewGuid():N} && echo sleeping && sleep 600\n" });
        await using var run = await HbsTool.StartAsync(service, ["build", context, "--progress=plain"]);
        await run.WaitForStderrAsync("sleeping", TimeSpan.FromMinutes(3));
        var id = BuildId(run.Stderr);

        await run.InterruptAsync();
        var result = await run.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains($"cancelling build {id}", result.Stderr);
        Assert.Equal(BuildStatus.Cancelled, (await _api.GetAsync(id)).Status);
        // following the cancel goes on from the last line shown: the RUN's output is shown once, not replayed
        Assert.Single(result.Stderr.Split('\n'), line => line.TrimEnd().EndsWith(" sleeping", StringComparison.Ordinal) && !line.Contains("RUN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_spec_is_shown_as_its_problem_details_with_the_field_and_exits_1()
    {
        var context = Context(new() { ["Dockerfile"] = "FROM busybox\n" });
        var before = await _api.CountAsync();

        var result = await HbsTool.RunAsync(service, ["build", context, "--build-arg", "1bad=x"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("error: The build request is not valid: ", result.Stderr); // the problem's title, then its detail
        Assert.Contains("stages[0].buildArgs: '1bad' is not a valid build argument name", result.Stderr); // and the field
        Assert.Equal(before, await _api.CountAsync());

        var missing = Guid.NewGuid();
        var logs = await HbsTool.RunAsync(service, ["logs", missing.ToString()]);
        Assert.True(logs.ExitCode == 1, logs.ToString());
        Assert.Contains($"There is no build {missing}", logs.Stderr);

        var usage = await HbsTool.RunAsync(service, ["build", context, "--secret", "id=npm,src=/etc/passwd"]);
        Assert.True(usage.ExitCode == 2, usage.ToString());
        Assert.Contains("kept by the service", usage.Stderr);
    }

    [Fact]
    public async Task The_upload_leaves_out_what_dockerignore_excludes_but_keeps_its_exceptions()
    {
        var context = Context(new()
        {
            ["Dockerfile"] = "FROM scratch\nCOPY . /\n",
            [".dockerignore"] = "# build output\n*.log\n!keep.log\nbig.bin\n**/tmp\n",
            ["keep.log"] = "kept", ["other.log"] = "left out", ["src/a.txt"] = "a", ["src/tmp/b.txt"] = "left out",
        });
        await File.WriteAllBytesAsync(Path.Combine(context, "big.bin"), RandomNumberGenerator.GetBytes(2 << 20));
        var dest = Path.Combine(_scratch, "out");

        var result = await HbsTool.RunAsync(service, ["build", context, "-o", dest, "--progress=tty"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[+] Uploading context [", result.Stderr); // the terminal view: a bar, then the redrawn block
        Assert.Contains("\u001b[K", result.Stderr);
        Assert.Matches(@"\[\+\] Building \d+\.\ds \(\d+/\d+\) FINISHED", result.Stderr);
        var build = await _api.GetAsync(BuildId(result.Stderr));
        Assert.True(build.Source.ContextSize < 64 * 1024, $"the 2 MiB ignored file was uploaded: context of {build.Source.ContextSize} bytes");
        Assert.Equal([".dockerignore", "Dockerfile", "keep.log", "src/a.txt"], Snapshot(dest).Select(f => f.Split(' ')[0]));
    }

    [Fact]
    public async Task A_rolling_update_answering_503_does_not_end_hbs_build_which_tries_again_and_gets_its_files()
    {
        // as a load balancer while the service's nodes are replaced: the first two tries of every read are refused
        var tries = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        await using var front = await RollingFront.StartAsync(service.BaseAddress, request =>
            Microsoft.AspNetCore.Http.HttpMethods.IsGet(request.Method) && tries.AddOrUpdate(request.Path + request.QueryString, 1, (_, n) => n + 1) <= 2);
        var context = Context(new() { ["Dockerfile"] = $"FROM busybox AS b\nRUN echo rolled-{Guid.NewGuid():N} && echo rolled > /r.txt\nFROM scratch\nCOPY --from=b /r.txt /\n" });
        var dest = Path.Combine(_scratch, "rolled");

        var result = await HbsTool.RunAsync(service, ["build", context, "-o", dest, "--progress=plain"],
            environment: new Dictionary<string, string?> { ["HBS_URL"] = front.Url.ToString() });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("hbs: the service answered 503 Service Unavailable; trying again in 1s", result.Stderr);
        Assert.True(front.Refused >= 4, $"{front.Refused} refused: the log stream's and the build record's reads were each refused twice");
        Assert.Equal(["r.txt 0644 " + Convert.ToHexStringLower(SHA256.HashData("rolled\n"u8))], Snapshot(dest));
    }

    [Fact]
    public async Task Ls_logs_artifacts_get_and_publish_work_on_a_finished_build()
    {
        var context = Context(new() { ["Dockerfile"] = "FROM busybox AS b\nRUN mkdir /o && echo hi > /o/hi.txt && chmod 0750 /o/hi.txt && echo made-hi\nFROM scratch\nCOPY --from=b /o /\n" });
        var built = await HbsTool.RunAsync(service, ["build", context, "-o", Path.Combine(_scratch, "first"), "--quiet"]);
        Assert.True(built.ExitCode == 0, built.ToString());
        var id = Guid.Parse(built.Stdout.Trim()); // -q prints the id alone

        var list = await HbsTool.RunAsync(service, ["ls", "-n", "100"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches($@"{id}\s+succeeded", list.Stdout);

        var logs = await HbsTool.RunAsync(service, ["logs", "-f", id.ToString()]);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("made-hi", logs.Stdout);

        var dest = Path.Combine(_scratch, "again");
        // "-o DIR/" is the folder DIR, as with buildx
        var get = await HbsTool.RunAsync(service, ["artifacts", "get", id.ToString(), "build", "-o", dest + "/"]);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(["hi.txt 0750 " + Convert.ToHexStringLower(SHA256.HashData("hi\n"u8))], Snapshot(dest));

        var publish = await HbsTool.RunAsync(service, ["publish", id.ToString(), "--target", "artifactory-test", "--path", "cli/{buildId}/{file}", "--wait"]);
        Assert.True(publish.ExitCode == 0, publish.ToString());
        Assert.Matches(@"publication [0-9a-f-]{36} succeeded", publish.Stdout);
        Assert.Equal("hi\n"u8.ToArray(), service.Artifactory.Find("generic-local", $"cli/{id}/hi.txt")?.Content);
    }

    [Fact]
    public async Task Without_HBS_URL_and_HBS_TOKEN_the_config_file_is_used_with_a_warning_when_others_can_read_it_and_the_token_is_never_printed()
    {
        var home = Path.Combine(_scratch, "xdg");
        var file = Path.Combine(home, "hbs", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { url = service.BaseAddress.ToString(), token = ServiceFixture.AdminKey }));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var environment = new Dictionary<string, string?> { ["HBS_URL"] = null, ["HBS_TOKEN"] = null, ["XDG_CONFIG_HOME"] = home };

        var readable = await HbsTool.RunAsync(service, ["ls"], environment: environment);

        Assert.True(readable.ExitCode == 0, readable.ToString());
        Assert.Contains("BUILD ID", readable.Stdout);
        Assert.Contains($"{file} can be read or written by other users", readable.Stderr);

        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var privateFile = await HbsTool.RunAsync(service, ["ls"], environment: environment);
        Assert.True(privateFile.ExitCode == 0, privateFile.ToString());
        Assert.DoesNotContain("warning", privateFile.Stderr);

        var onCommandLine = await HbsTool.RunAsync(service, ["ls", "--token", "not-a-key"], environment: environment);
        Assert.Contains("visible to other users", onCommandLine.Stderr);
        Assert.True(onCommandLine.ExitCode == 1, onCommandLine.ToString()); // the service refuses the key: a problem, not a crash
        Assert.DoesNotContain(ServiceFixture.AdminKey, readable.Stdout + readable.Stderr + privateFile.Stderr + onCommandLine.Stderr);
    }

    /// <summary>The digest the test registry holds for <paramref name="tag"/> (failing when it has none).</summary>
    private async Task<string> PushedDigestAsync(string tag)
    {
        using var registry = service.RegistryClient();
        var reference = tag[(tag.IndexOf('/') + 1)..].Split(':');
        using var manifest = await registry.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{reference[0]}/manifests/{reference[1]}")
        {
            Headers = { Accept = { new("application/vnd.oci.image.index.v1+json"), new("application/vnd.oci.image.manifest.v1+json"),
                new("application/vnd.docker.distribution.manifest.v2+json"), new("application/vnd.docker.distribution.manifest.list.v2+json") } },
        });
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        return manifest.Headers.GetValues("Docker-Content-Digest").Single();
    }

    /// <summary>Every file below <paramref name="root"/>: path, permission bits and SHA-256, sorted.</summary>
    private static List<string> Snapshot(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => $"{Path.GetRelativePath(root, f)} {Convert.ToString((int)File.GetUnixFileMode(f), 8).PadLeft(4, '0')} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}")
            .Order(StringComparer.Ordinal)];

    private static Guid BuildId(string stderr)
    {
        var match = System.Text.RegularExpressions.Regex.Match(stderr, @"build ([0-9a-f-]{36}) submitted");
        Assert.True(match.Success, $"hbs named no build:\n{stderr}");
        return Guid.Parse(match.Groups[1].Value);
    }

    private string Context(Dictionary<string, string> files)
    {
        var root = Path.Combine(_scratch, "ctx-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
            File.WriteAllText(Path.Combine(root, path), content);
        }
        return root;
    }

    /// <summary>docker buildx on the engine the service builds on (the test process's DOCKER_HOST, as the fixture's).</summary>
    private static Task<HbsResult> DockerBuildxAsync(params string[] args) => HbsTool.RunProcessAsync("docker", ["buildx", .. args]);

    public void Dispose()
    {
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
