using Docker.DotNet;
using Docker.DotNet.Models;
using HybridBuild.BuildKit.Docker;

namespace HybridBuild.Api.Tests;

/// <summary>Verification stages: a container of a built image runs, its output is logged, its exit code decides the stage, and it is always removed.</summary>
[Collection(LiveService.Name)]
public sealed class VerificationTests(ServiceFixture service) : IAsyncLifetime
{
    private readonly BuildApi _api = new(service.Client);
    private readonly List<(string? Host, string Tag)> _images = [];

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The images a test built stay in their engine, as a user's would: removed after it, so runs do not pile them up.</summary>
    public async Task DisposeAsync()
    {
        foreach (var (host, tag) in _images)
        {
            try
            {
                using var docker = await DockerCheck.ConnectAsync(host ?? new DockerEngineOptions().ResolvedHost);
                await docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters());
            }
            catch (Exception) { } // not there (a build that failed first, an image on the other engine), or the engine is away: the test said so
        }
    }

    /// <summary>A tag for an image the test builds, removed after it from <paramref name="host"/> (the first engine when null).</summary>
    private string Tag(string repository, string nonce, string? host = null)
    {
        var tag = $"localhost:5000/{repository}:{nonce}";
        _images.Add((host, tag));
        return tag;
    }

    private static string Nonce() => Guid.NewGuid().ToString("N");

    /// <summary>A busybox image stage "app" (kept in the engine, /nonce holding a fresh value) and the given run stages.</summary>
    private BuildSpec AppAnd(string nonce, params StageSpec[] runs) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox AS app\nARG nonce\nRUN echo $nonce > /nonce\n" } } },
        Stages =
        [
            new StageSpec
            {
                Name = "app", Target = "app", BuildArgs = new() { ["nonce"] = nonce },
                Output = new OutputSpec { Type = OutputType.Image, Tags = [Tag("verify/app", nonce)] },
            },
            .. runs,
        ],
    };

    private static StageSpec Run(string name, RunSpec run) => new() { Name = name, Run = run };

    [Fact]
    public async Task A_run_stage_runs_the_image_an_earlier_stage_built_without_a_network_and_logs_its_output()
    {
        var nonce = Nonce();
        var secret = "s3cret-" + Nonce();
        var build = await _api.SubmitAsync(AppAnd(nonce,
            Run("verify", new RunSpec
            {
                Image = "app",
                Command = ["sh", "-c", "echo verified $(cat /nonce); echo token=$TOKEN; echo interfaces: $(ls /sys/class/net); echo to-stderr >&2"],
                Env = new() { ["TOKEN"] = secret },
            }),
            Run("online", new RunSpec { Image = "app", Command = ["sh", "-c", "echo interfaces: $(ls /sys/class/net)"], Network = true })));

        var done = await _api.WaitSucceededAsync(build.Id);

        var verify = done.Stages.Single(s => s.Name == "verify");
        Assert.Equal(["app"], verify.Needs); // running a stage's image waits for it
        Assert.Equal(0, verify.Run!.ExitCode);
        Assert.Equal("runc", verify.Run.RuntimeUsed);
        Assert.Equal(["TOKEN"], verify.Run.Env); // names only
        var log = await _api.LogAsync(build.Id, "verify");
        Assert.Contains($"verified {nonce}", log);
        Assert.Contains("to-stderr", log);
        Assert.Contains("interfaces: lo\n", log);
        Assert.Contains("token=***", log);
        Assert.DoesNotContain(secret, await _api.LogAsync(build.Id));
        Assert.DoesNotContain(secret, await service.Client.GetStringAsync($"/api/v1/builds/{build.Id}"));
        Assert.Matches("interfaces: eth0 lo", await _api.LogAsync(build.Id, "online"));
        await AssertNoContainersAsync(build.Id);
    }

    [Fact]
    public async Task A_run_goes_to_the_Docker_engine_of_the_builder_that_built_its_image()
    {
        var second = await DockerEngines.SecondAsync(service);
        var database = await service.CreateDatabaseAsync();
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("verify", database, shared.Path, DockerEngines.Builders(1, ("second", second)));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        var api = new BuildApi(client);
        var nonce = Nonce();

        _images.Add(("unix://" + second, $"localhost:5000/verify/app:{nonce}")); // built there
        var done = await api.WaitSucceededAsync((await api.SubmitAsync(AppAnd(nonce,
            Run("verify", new RunSpec { Image = "app", Command = ["sh", "-c", "echo verified $(cat /nonce)"] })))).Id, TimeSpan.FromMinutes(3));

        Assert.Equal("second", done.Stages.Single(s => s.Name == "app").Builder);
        Assert.Contains($"verified {nonce}", await api.LogAsync(done.Id, "verify"));
        // the image is only on the second engine: a run on the configured (first) one could not have found it
        using var first = await DockerCheck.ConnectAsync(new DockerEngineOptions().ResolvedHost);
        await Assert.ThrowsAsync<DockerImageNotFoundException>(() => first.Images.InspectImageAsync($"localhost:5000/verify/app:{nonce}"));
        await AssertNoContainersAsync(done.Id, "unix://" + second);
    }

    [Fact]
    public async Task The_Swagger_verification_example_runs_as_it_is()
    {
        var build = await _api.SubmitAsync(HybridBuild.Api.OpenApi.ScenarioExamples.Verify(Tag("verify-demo", Nonce())));

        var done = await _api.WaitSucceededAsync(build.Id);

        Assert.Equal(0, done.Stages.Single(s => s.Name == "verify").Run!.ExitCode);
        Assert.Contains("hello from a verification run", await _api.LogAsync(build.Id, "verify"));
    }

    [Fact]
    public async Task An_exit_code_other_than_the_expected_one_fails_the_stage_saying_both()
    {
        var build = await _api.SubmitAsync(AppAnd(Nonce(),
            Run("exits-3", new RunSpec { Image = "app", Command = ["sh", "-c", "echo about to fail; exit 3"] }),
            Run("expects-3", new RunSpec { Image = "app", Command = ["sh", "-c", "exit 3"], ExpectExitCode = 3 })));

        var done = await _api.WaitFinishedAsync(build.Id);

        Assert.Equal(BuildStatus.Failed, done.Status);
        var failed = done.Stages.Single(s => s.Name == "exits-3");
        Assert.Equal(StageStatus.Failed, failed.Status);
        Assert.Equal("the container exited with code 3, expected 0", failed.Error);
        Assert.Equal(3, failed.Run!.ExitCode);
        Assert.Contains("about to fail", await _api.LogAsync(build.Id, "exits-3"));
        var expected = done.Stages.Single(s => s.Name == "expects-3");
        Assert.Equal(StageStatus.Succeeded, expected.Status);
        Assert.Equal(3, expected.Run!.ExitCode);
        await AssertNoContainersAsync(build.Id);
    }

    [Fact]
    public async Task Cancelling_the_build_stops_and_removes_its_container()
    {
        var build = await StartWaitingRunAsync();
        Assert.Single(await ContainersAsync(build.Id));

        using var cancel = await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await _api.WaitFinishedAsync(build.Id, TimeSpan.FromSeconds(60));
        Assert.Equal(BuildStatus.Cancelled, done.Status);
        Assert.Equal(StageStatus.Cancelled, done.Stages.Single(s => s.Name == "waits").Status);
        await AssertNoContainersAsync(build.Id);
    }

    [Fact]
    public async Task The_sweep_removes_a_container_whose_run_has_ended_and_keeps_one_whose_run_goes_on()
    {
        var build = await StartWaitingRunAsync();
        // what a node that died mid-run leaves: a container of this build whose run (the dead node's) no running stage holds
        // any more; and one of a build this service does not know (another deployment's on the same engine), which stays
        using var docker = await DockerCheck.ConnectAsync(new DockerEngineOptions().ResolvedHost);
        var orphan = await StartLabelledAsync(docker, build.Id, Guid.NewGuid());
        var foreignBuild = Guid.NewGuid();
        var foreign = await StartLabelledAsync(docker, foreignBuild, Guid.NewGuid());

        var removed = await service.Services.GetRequiredService<HybridBuild.Application.Pipeline.ContainerSweep>().SweepAsync(CancellationToken.None);

        Assert.True(removed >= 1, "the orphan was removed");
        var left = Assert.Single(await ContainersAsync(build.Id));
        Assert.NotEqual(orphan, left.ID); // the running stage's own container stays
        Assert.Equal(foreign, Assert.Single(await ContainersAsync(foreignBuild)).ID);
        await docker.Containers.RemoveContainerAsync(foreign, new ContainerRemoveParameters { Force = true });
        using var cancel = await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        await _api.WaitFinishedAsync(build.Id, TimeSpan.FromSeconds(60));
        await AssertNoContainersAsync(build.Id);
    }

    [Fact]
    public async Task A_container_past_its_run_timeout_fails_the_stage_and_is_removed()
    {
        var build = await _api.SubmitAsync(AppAnd(Nonce(),
            Run("slow", new RunSpec { Image = "app", Command = ["sleep", "120"], Timeout = "00:00:02" })));

        var done = await _api.WaitFinishedAsync(build.Id, TimeSpan.FromSeconds(90));

        var slow = done.Stages.Single(s => s.Name == "slow");
        Assert.Equal(StageStatus.Failed, slow.Status);
        Assert.Equal("the container did not exit within its run.timeout of 00:00:02; it was removed", slow.Error);
        await AssertNoContainersAsync(build.Id);
    }

    [Fact]
    public async Task A_runtime_the_engine_does_not_have_fails_the_stage_saying_so()
    {
        var build = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox\n" } } },
            Stages = [Run("wasm-shim", new RunSpec { Image = "busybox", Command = ["true"], Runtime = "io.containerd.wasmedge.v1" })],
        });

        var done = await _api.WaitFinishedAsync(build.Id);

        var stage = done.Stages.Single();
        Assert.Equal(StageStatus.Failed, stage.Status);
        Assert.Contains("has no runtime 'io.containerd.wasmedge.v1' (it has: ", stage.Error);
        Assert.Null(stage.Run!.ExitCode);
        await AssertNoContainersAsync(build.Id);
    }

    [Fact]
    public async Task An_image_the_engine_neither_has_nor_can_pull_fails_the_stage_with_the_daemons_reason()
    {
        var image = $"localhost:1/verify/absent:{Nonce()}";
        var build = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox\n" } } },
            Stages = [Run("absent", new RunSpec { Image = image })],
        });

        var done = await _api.WaitFinishedAsync(build.Id);

        var stage = done.Stages.Single();
        Assert.Equal(StageStatus.Failed, stage.Status);
        var prefix = $"the Docker engine at {new DockerEngineOptions().ResolvedHost} refused the run of '{image}': ";
        Assert.StartsWith(prefix, stage.Error);
        Assert.Contains("localhost:1", stage.Error![prefix.Length..]); // the daemon's own words
        await AssertNoContainersAsync(build.Id);
    }

    [Fact]
    public async Task A_wasi_module_runs_under_the_helper_images_WASI_runtime_and_its_exit_code_decides_the_stage()
    {
        await service.EnsureWasiHelperAsync();
        var nonce = Nonce();
        var build = await _api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = WasmFiles(nonce) } },
            Stages =
            [
                new StageSpec
                {
                    Name = "hello", Target = "hello", Platforms = ["wasi/wasm"],
                    Output = new OutputSpec { Type = OutputType.Image, Tags = [Tag("verify/hello-wasm", nonce)] },
                },
                new StageSpec
                {
                    Name = "failing", Target = "failing", Platforms = ["wasi/wasm"],
                    Output = new OutputSpec { Type = OutputType.Image, Tags = [Tag("verify/failing-wasm", nonce)] },
                },
                Run("verify-hello", new RunSpec { Image = "hello" }),
                Run("verify-failing", new RunSpec { Image = "failing" }),
            ],
        });

        var done = await _api.WaitFinishedAsync(build.Id, TimeSpan.FromMinutes(5));

        var hello = done.Stages.Single(s => s.Name == "verify-hello");
        Assert.True(hello.Status == StageStatus.Succeeded, $"verify-hello {hello.Status}: {hello.Error}\n{await _api.LogAsync(build.Id)}");
        Assert.Contains($"hello from wasi {nonce}", await _api.LogAsync(build.Id, "verify-hello"));
        Assert.Equal(0, hello.Run!.ExitCode);
        Assert.Equal($"wasmedge in {ServiceFixture.WasiHelperImage}", hello.Run.RuntimeUsed);
        var failing = done.Stages.Single(s => s.Name == "failing");
        Assert.Equal(StageStatus.Succeeded, failing.Status);
        var verifyFailing = done.Stages.Single(s => s.Name == "verify-failing");
        Assert.Equal(StageStatus.Failed, verifyFailing.Status);
        Assert.Equal("the container exited with code 3, expected 0", verifyFailing.Error);
        await AssertNoContainersAsync(build.Id);
    }

    /// <summary>
    /// Two WASI modules written in WebAssembly text and compiled with wabt's wat2wasm (on the build platform), each
    /// packaged FROM scratch as a wasi/wasm image: one prints "hello from wasi {nonce}" with fd_write and returns, the
    /// other exits with proc_exit(3).
    /// </summary>
    private static Dictionary<string, string> WasmFiles(string nonce)
    {
        var text = $"hello from wasi {nonce}\n";
        const string imports = """
            (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
            (memory 1) (export "memory" (memory 0))
            """;
        return new()
        {
            ["hello.wat"] = $$"""
                (module {{imports}}
                  (data (i32.const 64) "{{text.Replace("\n", "\\n")}}")
                  (func (export "_start")
                    (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const {{text.Length}}))
                    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
                """,
            ["failing.wat"] = $$"""(module {{imports}} (func (export "_start") (call $proc_exit (i32.const 3))))""",
            ["Dockerfile"] = """
                FROM --platform=$BUILDPLATFORM debian:trixie-slim AS wat
                RUN apt-get update && apt-get install -y --no-install-recommends wabt
                COPY hello.wat failing.wat /src/
                RUN wat2wasm /src/hello.wat -o /hello.wasm && wat2wasm /src/failing.wat -o /failing.wasm

                FROM scratch AS hello
                COPY --from=wat /hello.wasm /hello.wasm
                ENTRYPOINT ["/hello.wasm"]

                FROM scratch AS failing
                COPY --from=wat /failing.wasm /failing.wasm
                ENTRYPOINT ["/failing.wasm"]
                """,
        };
    }

    /// <summary>A sleeping busybox container labelled as a verification run of <paramref name="buildId"/>; returns its id.</summary>
    private static async Task<string> StartLabelledAsync(DockerClient docker, Guid buildId, Guid runId)
    {
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = "busybox", Cmd = ["sleep", "300"],
            Labels = new Dictionary<string, string>
            {
                [Core.Abstractions.EngineLabels.BuildId] = buildId.ToString(), [Core.Abstractions.EngineLabels.Run] = runId.ToString(),
            },
        });
        await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    /// <summary>A build whose run stage "waits" has started a container that sleeps for five minutes.</summary>
    private async Task<BuildResponse> StartWaitingRunAsync()
    {
        var build = await _api.SubmitAsync(AppAnd(Nonce(),
            Run("waits", new RunSpec { Image = "app", Command = ["sh", "-c", "echo started; sleep 300"] })));
        await _api.WaitForLogAsync(build.Id, "waits", "started", TimeSpan.FromMinutes(2));
        return build;
    }

    private static async Task<IList<ContainerListResponse>> ContainersAsync(Guid buildId, string? host = null)
    {
        using var docker = await DockerCheck.ConnectAsync(host ?? new DockerEngineOptions().ResolvedHost);
        return await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{Core.Abstractions.EngineLabels.BuildId}={buildId}"] = true },
            },
        });
    }

    private static async Task AssertNoContainersAsync(Guid buildId, string? host = null)
    {
        var left = await ContainersAsync(buildId, host);
        Assert.True(left.Count == 0, $"containers of build {buildId} are left: {string.Join(", ", left.Select(c => $"{c.Image} {c.State}"))}");
    }
}
