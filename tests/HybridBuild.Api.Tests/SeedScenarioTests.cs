using HybridBuild.Api.OpenApi;

namespace HybridBuild.Api.Tests;

/// <summary>The scenarios of "Docker as a Service", end to end over HTTP.</summary>
[Collection(LiveService.Name)]
public sealed class SeedScenarioTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    [Fact]
    public async Task The_Artifactory_example_from_Swagger_UI_yields_a_Windows_PE32_plus_and_a_runnable_Linux_executable()
    {
        var document = await service.Client.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");
        var example = document!["paths"]!["/api/v1/builds"]!["post"]!["requestBody"]!["content"]!["application/json"]!["examples"]!["artifactory"]!["value"]!;
        using var response = await service.Client.PostAsync("/api/v1/builds",
            new StringContent(example.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var accepted = await BuildApi.AcceptedAsync(response);
        Assert.Equal($"/api/v1/builds/{accepted.Id}", response.Headers.Location?.OriginalString);

        var build = await _api.WaitSucceededAsync(accepted.Id, TimeSpan.FromMinutes(15));

        var windows = build.Stages.Single(s => s.Name == "win-x64").Artifacts!.Single(a => a.Path == "Daedalus.exe");
        var exe = await service.Client.GetByteArrayAsync(windows.Href);
        Assert.Equal(windows.Sha256, Convert.ToHexStringLower(SHA256.HashData(exe)));
        Assert.True(IsPe32Plus(exe), "Daedalus.exe is a PE32+ image");

        var linux = build.Stages.Single(s => s.Name == "linux-x64").Artifacts!.Single(a => a.Path == "Daedalus");
        Assert.Equal("0755", linux.Mode);
        var folder = Directory.CreateTempSubdirectory("daedalus-").FullName;
        try
        {
            await using (var archive = await service.Client.GetStreamAsync($"/api/v1/builds/{build.Id}/artifacts/linux-x64?format=tar.gz"))
                await TarFile.ExtractToDirectoryAsync(new GZipStream(archive, CompressionMode.Decompress), folder, overwriteFiles: false);
            var executable = Path.Combine(folder, "Daedalus");
            Assert.True(File.GetUnixFileMode(executable).HasFlag(UnixFileMode.UserExecute), "the tar.gz keeps the executable bit");
            Assert.Equal("\u007fELF"u8.ToArray(), (await File.ReadAllBytesAsync(executable))[..4]);
            var run = Process.Start(new ProcessStartInfo(executable) { RedirectStandardOutput = true })!;
            var output = await run.StandardOutput.ReadToEndAsync();
            await run.WaitForExitAsync();
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("Hello from Daedalus on linux-x64", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_WASM_scenario_exports_the_module_then_pushes_a_wasi_wasm_image_built_from_it()
    {
        var tag = $"{service.Registry}/hellowasm:{Guid.NewGuid():N}";
        var spec = ScenarioExamples.Wasm(tag) with { Source = null };
        var context = Contexts.TarGz(ScenarioExamples.Files("wasm"));

        var build = await _api.WaitSucceededAsync((await _api.SubmitAsync(spec, context)).Id);

        var module = build.Stages.Single(s => s.Name == "build").Artifacts!.Single();
        Assert.Equal("HelloWasm.wasm", module.Path);
        Assert.Equal("\0asm"u8.ToArray(), (await service.Client.GetByteArrayAsync(module.Href))[..4]);

        var image = build.Stages.Single(s => s.Name == "image");
        Assert.StartsWith("sha256:", image.ImageDigest);
        using var registry = service.RegistryClient();
        var reference = tag[(tag.IndexOf('/') + 1)..].Split(':');
        using var manifestResponse = await registry.GetAsync($"/v2/{reference[0]}/manifests/{reference[1]}");
        Assert.Equal(HttpStatusCode.OK, manifestResponse.StatusCode);
        Assert.Equal(image.ImageDigest, manifestResponse.Headers.GetValues("Docker-Content-Digest").Single());
        var manifest = JsonNode.Parse(await manifestResponse.Content.ReadAsStringAsync())!;
        var (os, architecture) = await PlatformOfAsync(registry, reference[0], manifest);
        Assert.Equal("wasi", os);
        Assert.Equal("wasm", architecture);
    }

    [Fact]
    public async Task The_seed_pipeline_example_builds_the_executables_by_matrix_the_wasm_image_and_verifies_it_by_running_it()
    {
        await service.EnsureWasiHelperAsync();
        var spec = ScenarioExamples.Seed($"localhost:5000/seed/hellowasm:{Guid.NewGuid():N}");

        var build = await _api.WaitSucceededAsync((await _api.SubmitAsync(spec)).Id, TimeSpan.FromMinutes(20));

        Assert.Equal(["publish-win-x64", "publish-linux-x64", "wasm-module", "wasm-image", "verify"], build.Stages.Select(s => s.Name));
        var exe = await service.Client.GetByteArrayAsync(build.Stages[0].Artifacts!.Single(a => a.Path == "Daedalus.exe").Href);
        Assert.True(IsPe32Plus(exe), "Daedalus.exe is a PE32+ image");
        var elf = await service.Client.GetByteArrayAsync(build.Stages[1].Artifacts!.Single(a => a.Path == "Daedalus").Href);
        Assert.Equal([0x7f, (byte)'E', (byte)'L', (byte)'F'], elf[..4]);
        Assert.Equal("\0asm"u8.ToArray(), (await service.Client.GetByteArrayAsync(build.Stages[2].Artifacts!.Single().Href))[..4]);
        Assert.StartsWith("sha256:", build.Stages[3].ImageDigest);
        var verify = build.Stages[4];
        Assert.Equal(0, verify.Run!.ExitCode);
        Assert.Equal($"wasmedge in {ServiceFixture.WasiHelperImage}", verify.Run.RuntimeUsed);
    }

    /// <summary>The platform an image says it is for: from its index entry, or from its config.</summary>
    private static async Task<(string?, string?)> PlatformOfAsync(HttpClient registry, string repository, JsonNode manifest)
    {
        if (manifest["manifests"] is JsonArray entries)
        {
            var platform = entries.Select(e => e!["platform"]).First(p => p?["os"]?.GetValue<string>() != "unknown")!;
            return (platform["os"]!.GetValue<string>(), platform["architecture"]!.GetValue<string>());
        }
        var config = await registry.GetFromJsonAsync<JsonObject>($"/v2/{repository}/blobs/{manifest["config"]!["digest"]!.GetValue<string>()}");
        return (config!["os"]!.GetValue<string>(), config["architecture"]!.GetValue<string>());
    }

    private static bool IsPe32Plus(byte[] image)
    {
        if (image.Length < 0x40 || image[0] != 'M' || image[1] != 'Z') return false;
        var pe = BitConverter.ToInt32(image, 0x3C);
        return pe > 0 && pe + 26 < image.Length
            && image[pe] == 'P' && image[pe + 1] == 'E' && image[pe + 2] == 0 && image[pe + 3] == 0
            && BitConverter.ToUInt16(image, pe + 24) == 0x20B; // optional header magic of PE32+
    }
}
