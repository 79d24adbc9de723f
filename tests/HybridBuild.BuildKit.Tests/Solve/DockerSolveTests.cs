using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Solve;

/// <summary>Dockerfile builds through the native client on the real Docker Engine, the session served in-process.</summary>
[Collection(DockerDaemon.Collection)]
public sealed class DockerSolveTests
{
    private const string CopyAndRun = """
        FROM busybox AS build
        COPY hello.txt sub /in/
        RUN mkdir -p /out && cp -r /in/. /out/ && echo "built by RUN" | tee /out/built.txt
        FROM scratch
        COPY --from=build /out /
        """;

    /// <summary>Builds a layer with RUN from a busybox base: an image worth exporting.</summary>
    private const string BakedImage = "FROM busybox\nRUN echo baked > /baked.txt\n";

    [Theory]
    [InlineData(SessionVia.Upgrade)]
    [InlineData(SessionVia.Control)]
    public async Task A_COPY_and_RUN_build_lands_its_files_in_a_local_export(SessionVia sessionVia)
    {
        using var work = CopyAndRunContext().With("unused.txt", "not copied\n");
        var progress = new RecordedProgress();

        await DockerDaemon.SolveAsync(new SolveRequest
        {
            ContextDirectory = work.Context,
            NoCache = true,
            Exports = [new ExportRequest.Local(work.Output("out"))],
        }, progress, sessionVia);

        var files = BuildDirectory.Files(work.Output("out"));
        Assert.Equal(["built.txt", "hello.txt", "nested.txt"], files.Keys.Order());
        Assert.Equal("hello\n", files["hello.txt"]);
        Assert.Equal("built by RUN\n", files["built.txt"]);
        var run = Assert.Single(progress.Vertexes.Values, v => v.Name.Contains("RUN mkdir"));
        Assert.NotNull(run.Completed);
        Assert.Null(run.Error);
        Assert.Contains("built by RUN", progress.Logs);
    }

    [Fact]
    public async Task A_broken_Dockerfile_fails_with_the_daemons_message()
    {
        using var work = new BuildDirectory().With("Dockerfile", "FROM busybox\nNOTANINSTRUCTION foo\n");

        var error = await Assert.ThrowsAsync<BuildKitSolveException>(() => DockerDaemon.SolveAsync(new SolveRequest { ContextDirectory = work.Context }));

        Assert.Contains("unknown instruction", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("NOTANINSTRUCTION", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_failing_RUN_fails_with_its_exit_code_and_its_step_marked_failed()
    {
        using var work = new BuildDirectory().With("Dockerfile", "FROM busybox\nRUN echo about to fail && exit 3\n");
        var progress = new RecordedProgress();

        var error = await Assert.ThrowsAsync<BuildKitSolveException>(() => DockerDaemon.SolveAsync(
            new SolveRequest { ContextDirectory = work.Context, NoCache = true }, progress));

        Assert.StartsWith("failed to solve", error.Message);
        Assert.Contains("exit code: 3", error.Message);
        Assert.Contains(progress.Vertexes.Values, v => v.Name.Contains("RUN echo about to fail") && v.Error is not null);
        Assert.Contains("about to fail", progress.Logs);
    }

    [Fact]
    public async Task A_tar_export_writes_one_archive_with_the_built_files()
    {
        using var work = CopyAndRunContext();

        await DockerDaemon.SolveAsync(new SolveRequest
        {
            ContextDirectory = work.Context,
            Exports = [new ExportRequest.Tar(work.Output("result.tar"))],
        });

        var files = await BuildDirectory.TarFiles(work.Output("result.tar"));
        Assert.Equal("hello\n", files["hello.txt"]);
        Assert.Equal("nested\n", files["nested.txt"]);
        Assert.Equal("built by RUN\n", files["built.txt"]);
    }

    [Fact]
    public async Task A_Docker_store_export_loads_the_image_with_its_labels_into_the_engine()
    {
        using var work = new BuildDirectory().With("Dockerfile", BakedImage);
        await using var images = new EngineImages();
        var tag = images.NewTag("native-client");

        var result = await DockerDaemon.SolveAsync(new SolveRequest
        {
            ContextDirectory = work.Context,
            Labels = BuildIdLabel,
            Exports = [new ExportRequest.DockerStore([tag])],
        });

        Assert.StartsWith("sha256:", result.ImageDigest);
        Assert.Equal("native-client-test", await images.LabelAsync(tag, "io.hybridbuild.build-id"));
    }

    [Fact]
    public async Task An_image_export_without_push_reports_its_digests_and_lands_in_the_engines_containerd_store()
    {
        using var work = new BuildDirectory().With("Dockerfile", BakedImage);
        await using var images = new EngineImages();
        var tag = images.NewTag("image-exporter");

        var result = await DockerDaemon.SolveAsync(new SolveRequest
        {
            ContextDirectory = work.Context,
            Exports = [new ExportRequest.Image([tag])],
        });

        Assert.StartsWith("sha256:", result.ImageDigest);
        Assert.StartsWith("sha256:", result.ConfigDigest);
        Assert.Equal(tag, result.ExporterResponse["image.name"]);
        Assert.True(await images.ExistsAsync(tag), $"{tag} is not in the engine's image store");
    }

    [Fact]
    public async Task One_build_can_load_the_Docker_store_and_write_a_tar_and_a_local_export()
    {
        using var work = CopyAndRunContext();
        await using var images = new EngineImages();
        var tag = images.NewTag("native-client");

        // The image comes first on purpose: the client must still match each file export to its exporter id.
        var result = await DockerDaemon.SolveAsync(new SolveRequest
        {
            ContextDirectory = work.Context,
            Labels = BuildIdLabel,
            Exports =
            [
                new ExportRequest.DockerStore([tag]),
                new ExportRequest.Tar(work.Output("result.tar")),
                new ExportRequest.Local(work.Output("out")),
            ],
        });

        Assert.True(await images.ExistsAsync(tag), $"{tag} is not in the engine's image store");
        Assert.StartsWith("sha256:", result.ImageDigest);
        Assert.Equal("hello\n", (await BuildDirectory.TarFiles(work.Output("result.tar")))["hello.txt"]);
        Assert.Equal("hello\n", BuildDirectory.Files(work.Output("out"))["hello.txt"]);
    }

    [Fact]
    public async Task Secrets_build_arguments_and_the_target_reach_the_build()
    {
        using var work = new BuildDirectory().With("Dockerfile", """
            FROM busybox AS build
            ARG GREETING
            RUN --mount=type=secret,id=token mkdir /out && cat /run/secrets/token > /out/token && echo "$GREETING" > /out/greeting
            FROM scratch AS export
            COPY --from=build /out /
            FROM busybox AS ignored
            RUN exit 1
            """);

        await DockerDaemon.SolveAsync(new SolveRequest
        {
            ContextDirectory = work.Context,
            Target = "export",
            NoCache = true,
            BuildArgs = new Dictionary<string, string> { ["GREETING"] = "hi there" },
            Secrets = new Dictionary<string, byte[]> { ["token"] = "s3cr3t"u8.ToArray() },
            Exports = [new ExportRequest.Local(work.Output("out"))],
        });

        var files = BuildDirectory.Files(work.Output("out"));
        Assert.Equal("s3cr3t", files["token"]);
        Assert.Equal("hi there\n", files["greeting"]);
    }

    private static Dictionary<string, string> BuildIdLabel => new() { ["io.hybridbuild.build-id"] = "native-client-test" };

    /// <summary>A context for <see cref="CopyAndRun"/>: a file and a folder to copy.</summary>
    private static BuildDirectory CopyAndRunContext() =>
        new BuildDirectory().With("Dockerfile", CopyAndRun).With("hello.txt", "hello\n").With("sub/nested.txt", "nested\n");
}
