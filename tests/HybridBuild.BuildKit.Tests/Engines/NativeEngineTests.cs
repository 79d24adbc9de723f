using static HybridBuild.BuildKit.Tests.Engines.EngineComparisonTests;

namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>What only the native engine does, or does its own way, on the Docker engine's BuildKit.</summary>
[Collection(EngineCollection.Name)]
public sealed class NativeEngineTests(EngineFixture fixture)
{
    [Fact]
    public async Task A_secret_reaches_RUN_but_no_log_or_artifact()
    {
        const string secret = "s3cr3t-value-that-must-stay-hidden";
        // secrets are not part of BuildKit's cache key: a fresh RUN line makes sure this one runs
        using var work = new Workspace().With("Dockerfile", $$"""
            FROM busybox AS build
            RUN --mount=type=secret,id=token mkdir /out && echo "{{Guid.NewGuid()}}" && echo "the secret has $(wc -c < /run/secrets/token) bytes" \
             && sha256sum /run/secrets/token | cut -d' ' -f1 > /out/token.sha256 && ls /run/secrets > /out/mounted
            FROM scratch
            COPY --from=build /out /
            """);
        var progress = new RecordingProgress();
        var result = await BuildAsync(fixture.Native, work, new StageOutput { Type = OutputType.Artifacts }, work.Output("native"),
            secrets: new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(secret) }, progress: progress);

        Assert.True(result.Succeeded, result.Error);
        var expectedHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        Assert.Equal(expectedHash, (await File.ReadAllTextAsync(Path.Combine(work.Output("native"), "token.sha256"))).Trim());
        Assert.Contains($"the secret has {secret.Length} bytes", progress.Text());
        Assert.DoesNotContain(secret, progress.Text());
        foreach (var file in Directory.EnumerateFiles(work.Output("native"), "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(secret, await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task A_secret_that_the_build_does_not_have_fails_the_stage_with_BuildKits_message()
    {
        using var work = new Workspace().With("Dockerfile", "FROM busybox\nRUN --mount=type=secret,id=missing,required=true cat /run/secrets/missing\n");
        var result = await BuildAsync(fixture.Native, work, new StageOutput { Type = OutputType.None }, null);
        Assert.False(result.Succeeded);
        Assert.Contains("missing", result.Error);
    }

    [Fact]
    public async Task An_image_is_pushed_to_a_registry_with_the_credentials_from_configuration()
    {
        using var work = new Workspace().With("Dockerfile", "FROM busybox\nRUN echo pushed > /pushed\n");
        var tag = $"{fixture.Registry}/hybridbuild/pushed:{Guid.NewGuid():N}";
        var result = await BuildAsync(fixture.Native, work, new StageOutput { Type = OutputType.Image, Tags = [tag], Push = true }, null);

        Assert.True(result.Succeeded, result.Error);
        Assert.StartsWith("sha256:", result.ImageDigest);
        using var registry = fixture.RegistryClient();
        var reference = tag[(fixture.Registry.Length + 1)..].Split(':');
        using var manifest = await registry.GetAsync($"/v2/{reference[0]}/manifests/{reference[1]}");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Equal(result.ImageDigest, manifest.Headers.GetValues("Docker-Content-Digest").Single());
    }

    [Fact]
    public async Task A_push_without_credentials_fails_with_the_registrys_refusal()
    {
        await using var anonymous = fixture.Engines(withCredentials: false);
        using var work = new Workspace().With("Dockerfile", "FROM busybox\nRUN echo refused > /refused\n");
        var tag = $"{fixture.Registry}/hybridbuild/refused:{Guid.NewGuid():N}";
        var result = await BuildAsync(anonymous.GetRequiredService<NativeEngine>(), work, new StageOutput { Type = OutputType.Image, Tags = [tag], Push = true }, null);

        Assert.False(result.Succeeded);
        Assert.Matches("(?i)unauthorized|authentication|401", result.Error!);
    }

    [Fact]
    public async Task A_password_file_that_cannot_be_read_fails_the_push_naming_the_file()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-password-{Guid.NewGuid():N}");
        await using var services = fixture.Engines(withCredentials: true, passwordFile: missing);
        using var work = new Workspace().With("Dockerfile", $"FROM busybox\nRUN echo {Guid.NewGuid()} > /unreadable\n");
        var tag = $"{fixture.Registry}/hybridbuild/unreadable:{Guid.NewGuid():N}";
        var result = await BuildAsync(services.GetRequiredService<NativeEngine>(), work, new StageOutput { Type = OutputType.Image, Tags = [tag], Push = true }, null);

        Assert.False(result.Succeeded);
        Assert.Contains(missing, result.Error);
        Assert.DoesNotContain(EngineFixture.RegistryPassword, result.Error);
    }

    [Fact]
    public async Task The_standalone_buildkitd_session_path_builds_with_a_context_and_a_local_export()
    {
        // Control/Session over a /grpc connection is how a standalone buildkitd is reached: the session advertises
        // FileSync, FileSend, Auth, Secrets and Health, which only works if each method travels as its own header
        await using var control = fixture.Engines(withCredentials: true, sessionVia: "Control");
        using var work = new Workspace()
            .With("Dockerfile", "FROM busybox AS build\nCOPY input.txt /in\nRUN --mount=type=secret,id=s cat /in /run/secrets/s > /out.txt\nFROM scratch\nCOPY --from=build /out.txt /\n")
            .With("input.txt", "from the context\n");
        var result = await BuildAsync(control.GetRequiredService<NativeEngine>(), work, new StageOutput { Type = OutputType.Artifacts }, work.Output("control"),
            secrets: new Dictionary<string, byte[]> { ["s"] = "and a secret\n"u8.ToArray() });

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("from the context\nand a secret\n", await File.ReadAllTextAsync(Path.Combine(work.Output("control"), "out.txt")));
    }

    [Fact]
    public async Task Cancelling_a_build_ends_the_solve_and_leaves_no_session_behind()
    {
        var marker = $"sleep 3{Random.Shared.Next(100, 999)}";
        using var work = new Workspace()
            .With("Dockerfile", $"FROM busybox\nCOPY input.txt /in\nRUN {marker}\n")
            .With("input.txt", Guid.NewGuid().ToString());
        var engine = fixture.Native;
        using var cancel = new CancellationTokenSource();
        var build = BuildAsync(engine, work, new StageOutput { Type = OutputType.None }, null, cancellationToken: cancel.Token);
        await WaitForProcessAsync(marker, running: true);
        Assert.True(engine.ActiveSessions > 0);

        var watch = Stopwatch.StartNew();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the build took {watch.Elapsed} to stop");
        Assert.Equal(0, engine.ActiveSessions);
        await WaitForProcessAsync(marker, running: false);
    }

    private static async Task WaitForProcessAsync(string commandLine, bool running)
    {
        for (var i = 0; i < 300; i++)
        {
            var found = Directory.EnumerateDirectories("/proc").Any(p =>
            {
                try { return File.ReadAllText(Path.Combine(p, "cmdline")).Replace('\0', ' ').Trim() == commandLine; }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            });
            if (found == running) return;
            await Task.Delay(100);
        }
        Assert.Fail(running ? $"'{commandLine}' never ran on this host (the tests need the engine on this machine)" : $"'{commandLine}' still runs after the build was cancelled");
    }
}
