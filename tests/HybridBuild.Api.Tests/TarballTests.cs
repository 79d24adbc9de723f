using Docker.DotNet;
using Docker.DotNet.Models;

namespace HybridBuild.Api.Tests;

/// <summary>
/// <c>oci</c> and <c>docker</c> outputs through both engines, over HTTP: the image is stored as one artifact,
/// <c>image.tar</c>, whose layout names the output's tags; a docker tarball loads into the engine; a multi-platform
/// stage's tarball holds a manifest per platform.
/// </summary>
[Collection(LiveService.Name)]
public sealed class TarballTests(ServiceFixture service)
{
    // FROM scratch + COPY: any platform builds without emulation
    private const string Dockerfile = "FROM scratch AS img\nARG nonce\nCOPY hello.txt /hello.txt\nLABEL nonce=$nonce\n";

    private static BuildSpec Spec(string nonce, params StageSpec[] stages) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile, ["hello.txt"] = $"hello {nonce}\n" } } },
        Stages = [.. stages.Select(s => s with { Target = "img", BuildArgs = new() { ["nonce"] = nonce } })],
    };

    [Fact]
    public Task The_native_engine_stores_oci_and_docker_tarballs_that_docker_loads() => TarballsAsync(service.Client);

    [Fact]
    public async Task The_buildx_engine_stores_oci_and_docker_tarballs_that_docker_loads()
    {
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("buildx-tarball", await service.CreateDatabaseAsync(), shared.Path, ("Engine__Provider", "Buildx"));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        await TarballsAsync(client);
    }

    private static async Task TarballsAsync(HttpClient client)
    {
        var api = new BuildApi(client);
        var nonce = Guid.NewGuid().ToString("N");
        var ociTag = $"localhost:1/tarball-oci:{nonce}";
        var dockerTag = $"localhost:1/tarball-docker:{nonce}";
        var build = await api.SubmitAsync(Spec(nonce,
            new StageSpec { Name = "oci", Output = new OutputSpec { Type = OutputType.Oci, Tags = [ociTag] } },
            new StageSpec { Name = "docker", Output = new OutputSpec { Type = OutputType.Docker, Tags = [dockerTag] } },
            new StageSpec { Name = "multi", Platforms = ["linux/amd64", "linux/arm64"], Output = new OutputSpec { Type = OutputType.Oci } }));
        var done = await api.WaitSucceededAsync(build.Id);
        Assert.Equal(OutputType.Oci, done.Stages.Single(s => s.Name == "oci").Output.Type);

        // the artifact list names the tarball, as it would an artifacts output's file
        var manifest = await client.GetFromJsonAsync<ArtifactManifest>($"/api/v1/builds/{build.Id}/artifacts", ApiJson.Options);
        Assert.Equal(["docker/image.tar", "multi/image.tar", "oci/image.tar"],
            manifest!.Items.Select(a => $"{a.Stage}/{a.Path}").Order(StringComparer.Ordinal).ToList());

        var oci = await ImageTarball.DownloadAsync(client, build.Id, "oci");
        Assert.Contains("oci-layout", oci.Names);
        var index = oci.Json("index.json");
        Assert.Contains(index["manifests"]!.AsArray(), m => m!["annotations"]?["io.containerd.image.name"]?.GetValue<string>() == ociTag);
        var image = Assert.Single(ImageTarball.PlatformManifests(oci.ImageIndex()));
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", image["mediaType"]!.GetValue<string>());

        var multi = await ImageTarball.DownloadAsync(client, build.Id, "multi");
        var platforms = ImageTarball.PlatformManifests(multi.ImageIndex())
            .Select(m => $"{m["platform"]!["os"]}/{m["platform"]!["architecture"]}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["linux/amd64", "linux/arm64"], platforms);

        var docker = await ImageTarball.DownloadAsync(client, build.Id, "docker");
        var repoTags = docker.Json("manifest.json").AsArray().SelectMany(m => m!["RepoTags"]!.AsArray().Select(t => t!.GetValue<string>())).ToList();
        Assert.Contains(dockerTag, repoTags);
        await LoadAndCheckAsync(docker.Content, dockerTag, nonce);
    }

    /// <summary><c>docker load</c> of the tarball on the test engine gives the image under its tag, with the stage's label.</summary>
    private static async Task LoadAndCheckAsync(byte[] tarball, string tag, string nonce)
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri(new HybridBuild.BuildKit.Docker.DockerEngineOptions().ResolvedHost)).Build();
        await docker.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, new MemoryStream(tarball), new Progress<JSONMessage>());
        try
        {
            var loaded = await docker.Images.InspectImageAsync(tag);
            Assert.Equal(nonce, loaded.Config?.Labels?["nonce"]);
        }
        finally
        {
            await docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters { Force = true });
        }
    }

    [Fact]
    public async Task A_tarball_output_takes_tags_but_cannot_be_pushed_and_a_docker_tarball_holds_one_platform()
    {
        var api = new BuildApi(service.Client);
        var errors = await api.RefusedAsync("""
            {"source": {"inline": {"files": {"Dockerfile": "FROM scratch\n"}}},
             "stages": [{"name": "img", "output": {"type": "docker", "tags": ["registry.example.com/app:1"], "push": true}}]}
            """, "stages[0].output.push");
        Assert.Contains(errors, e => e.Contains("not pushed", StringComparison.Ordinal));
        Assert.NotEmpty(await api.RefusedAsync("""
            {"source": {"inline": {"files": {"Dockerfile": "FROM scratch\n"}}},
             "stages": [{"name": "img", "output": {"type": "oci", "tags": ["not a reference"]}}]}
            """, "stages[0].output.tags[0]"));
        // Docker 26.1's BuildKit (0.13) writes no manifest list into a docker tarball
        Assert.Contains(await api.RefusedAsync("""
            {"source": {"inline": {"files": {"Dockerfile": "FROM scratch\n"}}},
             "stages": [{"name": "img", "platforms": ["linux/amd64", "linux/arm64"], "output": {"type": "docker"}}]}
            """, "stages[0].platforms"), e => e.Contains("use an oci output", StringComparison.Ordinal));
    }
}
