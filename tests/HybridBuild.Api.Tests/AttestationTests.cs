namespace HybridBuild.Api.Tests;

/// <summary>
/// A stage's <c>attest</c> through both engines, over HTTP: SLSA provenance stored as an artifact beside an artifacts
/// output's files and as an attestation manifest inside an oci tarball; an SBOM whose scanner image the engine cannot
/// have (nothing is pulled on this machine) fails the stage with a message that says so.
/// </summary>
[Collection(LiveService.Name)]
public sealed class AttestationTests(ServiceFixture service)
{
    private const string Dockerfile = "FROM busybox AS files\nARG GREETING\nRUN echo \"$GREETING\" > /greeting.txt\nFROM scratch AS out\nCOPY --from=files /greeting.txt /\n";

    private static BuildSpec Spec(params StageSpec[] stages) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile } } },
        Stages = [.. stages],
    };

    [Fact]
    public Task The_native_engine_stores_provenance_beside_artifacts_and_in_an_oci_tarball_and_fails_an_sbom_without_its_scanner() =>
        AttestAsync(service.Client);

    [Fact]
    public async Task The_buildx_engine_stores_provenance_beside_artifacts_and_in_an_oci_tarball_and_fails_an_sbom_without_its_scanner()
    {
        using var shared = new TempDirectory();
        await using var node = ServiceProcess.Start("buildx-attest", await service.CreateDatabaseAsync(), shared.Path, ("Engine__Provider", "Buildx"));
        await node.WaitReadyAsync();
        using var client = node.CreateClient();
        await AttestAsync(client);
    }

    private static async Task AttestAsync(HttpClient client)
    {
        var api = new BuildApi(client);
        var greeting = $"hello-{Guid.NewGuid():N}";
        var attest = new AttestSpec { Provenance = "max" };
        var build = await api.SubmitAsync(Spec(
            new StageSpec { Name = "files", Target = "out", BuildArgs = new() { ["GREETING"] = greeting }, Attest = attest },
            new StageSpec { Name = "tarball", Target = "out", BuildArgs = new() { ["GREETING"] = greeting }, Attest = attest,
                Output = new OutputSpec { Type = OutputType.Oci } }));
        var done = await api.WaitSucceededAsync(build.Id);
        Assert.Equal("max", done.Stages.Single(s => s.Name == "files").Output.Attest?.Provenance);

        // BuildKit writes the provenance of a local export beside its files
        var files = await client.GetFromJsonAsync<ArtifactManifest>($"/api/v1/builds/{build.Id}/artifacts/files", ApiJson.Options);
        Assert.Equal(["greeting.txt", "provenance.json"], files!.Items.Select(a => a.Path).Order(StringComparer.Ordinal).ToList());
        var text = await client.GetStringAsync($"/api/v1/builds/{build.Id}/artifacts/files/provenance.json");
        var provenance = JsonNode.Parse(text)!;
        Assert.Contains(provenance["predicateType"]!.GetValue<string>(), new[] { "https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1" });
        Assert.Contains("dockerfile.v0", text, StringComparison.Ordinal);
        Assert.Contains("build-arg:GREETING", text, StringComparison.Ordinal);
        Assert.Contains(greeting, text, StringComparison.Ordinal);

        // an image carries it in its index: an attestation manifest that refers to the image manifest, with an in-toto layer
        var tarball = await ImageTarball.DownloadAsync(client, build.Id, "tarball");
        var index = tarball.ImageIndex();
        var image = Assert.Single(ImageTarball.PlatformManifests(index));
        var attestation = Assert.Single(ImageTarball.AttestationManifests(index));
        Assert.Equal(image["digest"]!.GetValue<string>(), attestation["annotations"]!["vnd.docker.reference.digest"]!.GetValue<string>());
        var layers = tarball.Blob(attestation["digest"]!.GetValue<string>())["layers"]!.AsArray();
        Assert.Contains(layers, l => l!["annotations"]?["in-toto.io/predicate-type"]?.GetValue<string>() is "https://slsa.dev/provenance/v0.2" or "https://slsa.dev/provenance/v1");

        // the scanner image cannot be pulled here: the stage fails and says which image, and where it is configured
        var sbom = await api.SubmitAsync(Spec(new StageSpec { Name = "sbom", Target = "out", Attest = new AttestSpec { Sbom = true } }));
        var failed = await api.WaitFinishedAsync(sbom.Id);
        var stage = failed.Stages.Single();
        Assert.Equal(StageStatus.Failed, stage.Status);
        Assert.Contains("the SBOM scanner image docker/buildkit-syft-scanner:stable-1 (Engine:Attestations:SbomGenerator) is not available", stage.Error);
    }

    [Fact]
    public async Task Swagger_describes_attest_and_the_tarball_outputs_with_an_example()
    {
        var document = await service.Client.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");
        var schemas = document!["components"]!["schemas"]!;
        Assert.NotNull(schemas["StageSpec"]!["properties"]!["attest"]);
        Assert.Equal(["provenance", "sbom"], schemas["AttestSpec"]!["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        var outputTypes = schemas["OutputType"]!["enum"]!.AsArray().Select(v => v!.ToString()).ToList();
        Assert.Contains("oci", outputTypes);
        Assert.Contains("docker", outputTypes);

        var example = document["paths"]!["/api/v1/builds"]!["post"]!["requestBody"]!["content"]!["application/json"]!["examples"]!["attest"]!["value"]!;
        Assert.Equal("oci", example["stages"]![0]!["output"]!["type"]!.GetValue<string>());
        Assert.Equal("max", example["stages"]![0]!["attest"]!["provenance"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_attestation_with_an_unknown_provenance_mode_on_a_verification_stage_or_a_docker_tarball_is_refused()
    {
        var api = new BuildApi(service.Client);
        var errors = await api.RefusedAsync("""
            {"source": {"inline": {"files": {"Dockerfile": "FROM scratch\n"}}},
             "stages": [{"name": "img", "attest": {"provenance": "full"}}]}
            """, "stages[0].attest.provenance");
        Assert.Contains(errors, e => e.Contains("'full' is not a provenance mode", StringComparison.Ordinal));
        Assert.NotEmpty(await api.RefusedAsync("""
            {"stages": [{"name": "check", "run": {"image": "busybox"}, "attest": {"sbom": true}}]}
            """, "stages[0].attest"));
        Assert.Contains(await api.RefusedAsync("""
            {"source": {"inline": {"files": {"Dockerfile": "FROM scratch\n"}}},
             "stages": [{"name": "img", "output": {"type": "docker"}, "attest": {"provenance": "min"}}]}
            """, "stages[0].attest"), e => e.Contains("use an oci output", StringComparison.Ordinal));
    }
}
