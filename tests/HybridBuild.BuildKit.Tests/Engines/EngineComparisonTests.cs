namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>The same Dockerfiles through the buildx engine and the native engine, on the same BuildKit: same results.</summary>
[Collection(EngineCollection.Name)]
public sealed class EngineComparisonTests(EngineFixture fixture)
{
    internal static readonly StageOutput Artifacts = new() { Type = OutputType.Artifacts };

    [Fact]
    public async Task Both_engines_export_the_same_files_with_the_same_bytes_modes_and_layout()
    {
        using var work = new Workspace()
            .With("Dockerfile", """
                FROM busybox AS build
                COPY . /ctx
                RUN mkdir -p /out/bin /out/empty /out/deep/er && cp -a /ctx /out/context \
                 && printf 'tool' > /out/bin/tool && chmod 0755 /out/bin/tool \
                 && printf 'private' > /out/private && chmod 0600 /out/private \
                 && printf 'odd' > /out/odd && chmod 0604 /out/odd \
                 && ln -s bin/tool /out/link && ln -s ../nowhere /out/deep/dangling \
                 && dd if=/dev/urandom of=/out/deep/er/big bs=1024 count=3000 2>/dev/null
                FROM scratch
                COPY --from=build /out /
                """)
            .With("hello.txt", "hello\n")
            .With("run.sh", "#!/bin/sh\necho run\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute)
            .With("secret.env", "must not be sent\n")
            .With("logs/skip.log", "ignored\n")
            .With("logs/keep.log", "kept by an exception\n")
            .With(".dockerignore", "secret.env\nlogs/*.log\n!logs/keep.log\n");
        Directory.CreateDirectory(Path.Combine(work.Context, "empty-dir"));
        Directory.CreateDirectory(Path.Combine(work.Context, "weird"));
        File.SetUnixFileMode(Path.Combine(work.Context, "weird"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        File.CreateSymbolicLink(Path.Combine(work.Context, "hello-link"), "hello.txt");

        var native = await BuildAsync(fixture.Native, work, Artifacts, work.Output("native"));
        var buildx = await BuildAsync(fixture.Buildx, work, Artifacts, work.Output("buildx"));

        Assert.True(native.Succeeded, native.Error);
        Assert.True(buildx.Succeeded, buildx.Error);
        var expected = Workspace.Describe(work.Output("buildx"));
        var actual = Workspace.Describe(work.Output("native"));
        Assert.Equal(expected, actual);
        // what the context held arrived, and what .dockerignore excluded did not
        Assert.Equal("link -> hello.txt", actual["context/hello-link"]);
        Assert.StartsWith("file 750 ", actual["context/run.sh"]);
        Assert.Equal("dir 701", actual["context/weird"]);
        Assert.StartsWith("dir ", actual["context/empty-dir"]);
        Assert.Contains("context/logs/keep.log", actual.Keys);
        Assert.DoesNotContain("context/logs/skip.log", actual.Keys);
        Assert.DoesNotContain("context/secret.env", actual.Keys);
        Assert.StartsWith("file 600 ", actual["private"]);
        Assert.StartsWith("file 604 ", actual["odd"]);
        Assert.Equal("link -> ../nowhere", actual["deep/dangling"]);
        Assert.StartsWith("file 644 3072000 ", actual["deep/er/big"]);
    }

    [Fact]
    public async Task Both_engines_report_the_same_failure_for_a_failing_RUN_and_an_unknown_target()
    {
        using var work = new Workspace().With("Dockerfile", "FROM busybox AS broken\nRUN echo about to fail && exit 3\n");
        var native = await BuildAsync(fixture.Native, work, new StageOutput { Type = OutputType.None }, null);
        var buildx = await BuildAsync(fixture.Buildx, work, new StageOutput { Type = OutputType.None }, null);
        Assert.False(native.Succeeded);
        Assert.Equal(buildx.Error, native.Error);
        Assert.Contains("exit code: 3", native.Error);

        var unknownNative = await BuildAsync(fixture.Native, work, new StageOutput { Type = OutputType.None }, null, target: "nope");
        var unknownBuildx = await BuildAsync(fixture.Buildx, work, new StageOutput { Type = OutputType.None }, null, target: "nope");
        Assert.False(unknownNative.Succeeded);
        Assert.Equal(unknownBuildx.Error, unknownNative.Error);
        Assert.Contains("nope", unknownNative.Error);
    }

    [Fact]
    public async Task A_broken_Dockerfile_fails_with_the_same_message_through_both_engines()
    {
        using var work = new Workspace().With("Dockerfile", "FROM busybox\nNOTANINSTRUCTION foo\n");
        var native = await BuildAsync(fixture.Native, work, new StageOutput { Type = OutputType.None }, null);
        var buildx = await BuildAsync(fixture.Buildx, work, new StageOutput { Type = OutputType.None }, null);
        Assert.False(native.Succeeded);
        Assert.Equal(buildx.Error, native.Error);
        Assert.Contains("NOTANINSTRUCTION", native.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_multi_platform_local_export_keeps_one_folder_per_platform_through_both_engines()
    {
        using var work = new Workspace()
            .With("Dockerfile", "FROM scratch\nARG TARGETPLATFORM\nCOPY payload.txt /payload.txt\n")
            .With("payload.txt", "same everywhere\n");
        string[] platforms = ["linux/amd64", "linux/arm64"];
        var native = await BuildAsync(fixture.Native, work, Artifacts, work.Output("native"), platforms: platforms);
        var buildx = await BuildAsync(fixture.Buildx, work, Artifacts, work.Output("buildx"), platforms: platforms);
        Assert.True(native.Succeeded, native.Error);
        Assert.True(buildx.Succeeded, buildx.Error);
        var actual = Workspace.Describe(work.Output("native"));
        Assert.Equal(Workspace.Describe(work.Output("buildx")), actual);
        Assert.Contains("linux_amd64/payload.txt", actual.Keys);
        Assert.Contains("linux_arm64/payload.txt", actual.Keys);
    }

    [Fact]
    public async Task Both_engines_give_images_the_same_config()
    {
        // every instruction changes only the config, so the layers compare equal whether or not the second build finds the
        // first's in the cache (another test's or BuildKit's own collection may have removed it): a WORKDIR that made a
        // folder would give it each build's time
        using var work = new Workspace().With("Dockerfile", """
            FROM busybox
            ENV GREETING=hello PATH=/usr/local/bin:/usr/bin:/bin
            WORKDIR /tmp
            LABEL org.example.kind=test
            EXPOSE 8080/tcp
            USER 1000:1000
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD ["echo $GREETING"]
            """);
        var labels = new Dictionary<string, string> { ["io.hybridbuild.build-id"] = "engine-comparison" };
        var nativeTag = $"localhost/hybridbuild-test/native:{Guid.NewGuid():N}";
        var buildxTag = $"localhost/hybridbuild-test/buildx:{Guid.NewGuid():N}";
        var native = await BuildAsync(fixture.Native, work, new StageOutput { Type = OutputType.Image, Tags = [nativeTag] }, null, labels: labels);
        var buildx = await BuildAsync(fixture.Buildx, work, new StageOutput { Type = OutputType.Image, Tags = [buildxTag] }, null, labels: labels);
        Assert.True(native.Succeeded, native.Error);
        Assert.True(buildx.Succeeded, buildx.Error);
        try
        {
            var a = await fixture.Docker.Images.InspectImageAsync(nativeTag);
            var b = await fixture.Docker.Images.InspectImageAsync(buildxTag);
            Assert.NotNull(a.Config);
            Assert.NotNull(b.Config);
            Assert.Equal(b.Os, a.Os);
            Assert.Equal(b.Architecture, a.Architecture);
            Assert.Equal(b.Config.Env, a.Config.Env);
            Assert.Equal(b.Config.Entrypoint, a.Config.Entrypoint);
            Assert.Equal(b.Config.Cmd, a.Config.Cmd);
            Assert.Equal(b.Config.WorkingDir, a.Config.WorkingDir);
            Assert.Equal(b.Config.User, a.Config.User);
            Assert.Equal(b.Config.ExposedPorts?.Keys, a.Config.ExposedPorts?.Keys);
            Assert.Contains("8080/tcp", a.Config.ExposedPorts!.Keys);
            Assert.NotNull(a.Config.Labels);
            Assert.Equal(b.Config.Labels, a.Config.Labels);
            Assert.Equal("engine-comparison", a.Config.Labels["io.hybridbuild.build-id"]);
            Assert.Equal("test", a.Config.Labels["org.example.kind"]);
            Assert.Equal(b.RootFS.Layers, a.RootFS.Layers);
        }
        finally
        {
            await fixture.Docker.Images.DeleteImageAsync(nativeTag, new global::Docker.DotNet.Models.ImageDeleteParameters());
            await fixture.Docker.Images.DeleteImageAsync(buildxTag, new global::Docker.DotNet.Models.ImageDeleteParameters());
        }
    }

    internal static async Task<StageBuildResult> BuildAsync(IBuildEngine engine, Workspace work, StageOutput output, string? outputDirectory,
        string? target = null, IReadOnlyList<string>? platforms = null, IReadOnlyDictionary<string, string>? labels = null,
        IReadOnlyDictionary<string, byte[]>? secrets = null, RecordingProgress? progress = null, CancellationToken cancellationToken = default,
        IExportSink? sink = null)
    {
        var request = new StageBuildRequest
        {
            ContextDirectory = work.Context,
            Dockerfile = "Dockerfile",
            Target = target,
            Platforms = platforms ?? [],
            Output = output,
            OutputDirectory = outputDirectory,
            ExportSink = sink,
            Labels = labels ?? new Dictionary<string, string>(),
            Secrets = secrets ?? new Dictionary<string, byte[]>(),
        };
        return await engine.BuildAsync(request, progress ?? new RecordingProgress(), cancellationToken);
    }
}
