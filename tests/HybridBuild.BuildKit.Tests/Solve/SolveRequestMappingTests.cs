using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Solve;

public sealed class SolveRequestMappingTests
{
    [Fact]
    public void The_Dockerfile_frontend_gets_filename_target_arguments_labels_platforms_and_no_cache()
    {
        var attributes = SolveRequestMapper.FrontendAttributes(new SolveRequest
        {
            ContextDirectory = "/ctx",
            DockerfileName = "build/Dockerfile.release",
            Target = "final",
            BuildArgs = new Dictionary<string, string> { ["VERSION"] = "1.2", ["EMPTY"] = "" },
            Labels = new Dictionary<string, string> { ["org.example.kind"] = "test" },
            Platforms = ["linux/amd64", "linux/arm64"],
            NoCache = true,
        });

        Assert.Equal(new Dictionary<string, string>
        {
            ["filename"] = "build/Dockerfile.release",
            ["target"] = "final",
            ["build-arg:VERSION"] = "1.2",
            ["build-arg:EMPTY"] = "",
            ["label:org.example.kind"] = "test",
            ["platform"] = "linux/amd64,linux/arm64",
            ["no-cache"] = "",
        }, attributes);
    }

    [Fact]
    public void A_plain_request_sends_only_the_filename()
    {
        Assert.Equal(["filename"], SolveRequestMapper.FrontendAttributes(new SolveRequest { ContextDirectory = "/ctx" }).Keys);
    }

    [Fact]
    public void File_exports_come_first_so_their_exporter_ids_match_the_session_exports()
    {
        var request = new SolveRequest
        {
            ContextDirectory = "/ctx",
            Exports =
            [
                new ExportRequest.Image(["registry.example/app:1", "registry.example/app:latest"], Push: true, InsecureRegistry: true,
                    Attributes: new Dictionary<string, string> { ["compression"] = "zstd" }),
                new ExportRequest.Tar("/out/result.tar"),
                new ExportRequest.DockerStore(["app:dev"]),
                new ExportRequest.Local("/out/files", PlatformSplit: false),
            ],
        };
        var ordered = SolveRequestMapper.OrderExports(request.Exports);
        var session = SolveRequestMapper.CreateSession(request, ordered, new BuildKitClientOptions());

        var solve = SolveRequestMapper.CreateSolveRequest("ref-1", request, session, ordered);

        Assert.Equal(["tar", "local", "image", "moby"], solve.Exporters.Select(e => e.Type));
        Assert.Equal(new SessionExport.File("/out/result.tar"), session.Exports[0]);
        Assert.Equal("/out/files", Assert.IsType<SessionExport.Directory>(session.Exports[1]).Path);
        Assert.Equal(2, session.Exports.Count);
        Assert.Equal("false", solve.Exporters[1].Attrs["platform-split"]);
        Assert.Equal(new Dictionary<string, string>
        {
            ["name"] = "registry.example/app:1,registry.example/app:latest",
            ["push"] = "true",
            ["registry.insecure"] = "true",
            ["compression"] = "zstd",
        }, solve.Exporters[2].Attrs);
        Assert.Equal("app:dev", solve.Exporters[3].Attrs["name"]);
        // Daemons before v0.13 only read the first exporter, from the deprecated fields.
        Assert.Equal("tar", solve.ExporterDeprecated);
        Assert.Equal(solve.Exporters[0].Attrs, solve.ExporterAttrsDeprecated);
    }

    [Fact]
    public void Attestations_go_to_the_frontend_as_attest_attributes()
    {
        var attributes = SolveRequestMapper.FrontendAttributes(new SolveRequest
        {
            ContextDirectory = "/ctx",
            Attestations = new Dictionary<string, string> { ["provenance"] = "mode=max", ["sbom"] = "generator=scanner:1" },
        });

        Assert.Equal("mode=max", attributes["attest:provenance"]);
        Assert.Equal("generator=scanner:1", attributes["attest:sbom"]);
    }

    [Fact]
    public void An_image_archive_is_an_oci_or_docker_exporter_with_its_names_received_as_one_file_or_into_a_sink()
    {
        var sink = new NullSink();
        var request = new SolveRequest
        {
            ContextDirectory = "/ctx",
            Exports =
            [
                new ExportRequest.ImageArchive(ImageArchiveFormat.Oci, ["registry.example/app:1", "app:latest"], FilePath: "/out/image.tar"),
                new ExportRequest.ImageArchive(ImageArchiveFormat.Docker, [], Sink: sink),
            ],
        };
        var ordered = SolveRequestMapper.OrderExports(request.Exports);
        var session = SolveRequestMapper.CreateSession(request, ordered, new BuildKitClientOptions());

        var solve = SolveRequestMapper.CreateSolveRequest("ref-1", request, session, ordered);

        Assert.Equal(["oci", "docker"], solve.Exporters.Select(e => e.Type));
        Assert.Equal("registry.example/app:1,app:latest", solve.Exporters[0].Attrs["name"]);
        Assert.False(solve.Exporters[1].Attrs.ContainsKey("name"));
        Assert.Equal(new SessionExport.File("/out/image.tar"), session.Exports[0]);
        Assert.Equal(new SessionExport.FileToSink(sink, "image.tar", new BuildKitClientOptions().MaxExportBytes), session.Exports[1]);
    }

    private sealed class NullSink : IExportFileSink
    {
        public ValueTask<Stream> OpenFileAsync(string path, CancellationToken cancellationToken) => ValueTask.FromResult(Stream.Null);
        public ValueTask CompleteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask LinkAsync(string path, string source, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public void SymbolicLink(string path, string target) { }
    }

    [Fact]
    public void The_session_exposes_the_context_and_Dockerfile_directories_and_carries_the_secrets()
    {
        var request = new SolveRequest
        {
            ContextDirectory = "/work/ctx",
            DockerfileDirectory = "/work/docker",
            Secrets = new Dictionary<string, byte[]> { ["token"] = [1, 2, 3] },
        };

        var session = SolveRequestMapper.CreateSession(request, [], new BuildKitClientOptions());
        var solve = SolveRequestMapper.CreateSolveRequest("ref-2", request, session, []);

        Assert.Equal("/work/ctx", session.LocalDirectories["context"]);
        Assert.Equal("/work/docker", session.LocalDirectories["dockerfile"]);
        Assert.Equal([1, 2, 3], session.Secrets["token"]);
        Assert.Equal(session.Id, solve.Session);
        Assert.Equal("dockerfile.v0", solve.Frontend);
        Assert.Equal("ref-2", solve.Ref);
        Assert.Empty(solve.Exporters);
        Assert.Equal("", solve.ExporterDeprecated);
    }

    [Fact]
    public void The_default_shared_key_is_stable_per_context_and_differs_between_contexts()
    {
        var first = SolveRequestMapper.CreateSession(new SolveRequest { ContextDirectory = "/a/ctx" }, [], new BuildKitClientOptions());
        var again = SolveRequestMapper.CreateSession(new SolveRequest { ContextDirectory = "/a/ctx" }, [], new BuildKitClientOptions());
        var other = SolveRequestMapper.CreateSession(new SolveRequest { ContextDirectory = "/b/ctx" }, [], new BuildKitClientOptions());
        var chosen = SolveRequestMapper.CreateSession(new SolveRequest { ContextDirectory = "/b/ctx", SharedKey = "repo-42" }, [], new BuildKitClientOptions());

        Assert.Equal(first.SharedKey, again.SharedKey);
        Assert.NotEqual(first.SharedKey, other.SharedKey);
        Assert.NotEqual(first.Id, again.Id);
        Assert.DoesNotContain(':', first.SharedKey);
        Assert.Equal("repo-42", chosen.SharedKey);
    }
}
