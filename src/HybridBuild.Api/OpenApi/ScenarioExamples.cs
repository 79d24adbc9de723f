using System.Reflection;

namespace HybridBuild.Api.OpenApi;

/// <summary>The seed article's scenarios as build specs with inline sources, so they run from Swagger UI as they are.</summary>
public static class ScenarioExamples
{
    public static BuildSpec Artifactory() => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = Files("artifactory") } },
        Stages =
        [
            new StageSpec
            {
                Name = "win-x64", Target = "staging", BuildArgs = new() { ["dotnet_runtime"] = "win-x64" },
                Output = new OutputSpec { Type = OutputType.Artifacts },
            },
            new StageSpec
            {
                Name = "linux-x64", Target = "staging", BuildArgs = new() { ["dotnet_runtime"] = "linux-x64" },
                Output = new OutputSpec { Type = OutputType.Artifacts },
            },
        ],
    };

    /// <summary>
    /// The Artifactory scenario as one matrix stage: a stage per runtime (<c>publish-win-x64</c>, <c>publish-linux-x64</c>,
    /// <c>publish-linux-musl-x64</c>), each with <c>dotnet_runtime</c> set.
    /// </summary>
    public static BuildSpec Matrix() => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = Files("artifactory") } },
        Stages =
        [
            new StageSpec
            {
                Name = "publish", Target = "staging", Output = new OutputSpec { Type = OutputType.Artifacts },
                Matrix = new MatrixSpec { Axes = new() { ["dotnet_runtime"] = JsonSerializer.SerializeToElement<string[]>(["win-x64", "linux-x64", "linux-musl-x64"]) } },
            },
        ],
    };

    /// <summary>Compile on the default platform, then package the .wasm as a wasi/wasm image pushed to <paramref name="tag"/>.</summary>
    public static BuildSpec Wasm(string tag = "localhost:5000/hellowasm:latest") => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = Files("wasm") } },
        Stages =
        [
            new StageSpec { Name = "build", Target = "staging", Output = new OutputSpec { Type = OutputType.Artifacts } },
            new StageSpec
            {
                Name = "image", Target = "final", Platforms = ["wasi/wasm"],
                Inputs = [new StageInputSpec { Stage = "build", Path = "docker_out" }],
                Output = new OutputSpec { Type = OutputType.Image, Tags = [tag], Push = true },
            },
        ],
    };

    /// <summary>Build an image kept in the engine as <paramref name="tag"/>, then verify it by running it: its output goes to the log, exit code 0 or the stage fails.</summary>
    public static BuildSpec Verify(string tag = "localhost:5000/verify-demo:latest") => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = Files("verify") } },
        Stages =
        [
            new StageSpec { Name = "app", Target = "app", Output = new OutputSpec { Type = OutputType.Image, Tags = [tag] } },
            new StageSpec
            {
                Name = "verify",
                Run = new RunSpec { Image = "app", Command = ["hello", "a verification run"], Timeout = "00:01:00", ExpectExitCode = 0 },
            },
        ],
    };

    /// <summary>
    /// The verify scenario's image for two platforms as an OCI tarball artifact (<c>image.tar</c>) with SLSA provenance in
    /// its index, and its files as artifacts with <c>provenance.json</c> beside them.
    /// </summary>
    public static BuildSpec Attest() => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = Files("verify") } },
        Stages =
        [
            new StageSpec
            {
                Name = "image", Target = "app", Platforms = ["linux/amd64", "linux/arm64"], Attest = new AttestSpec { Provenance = "max" },
                Output = new OutputSpec { Type = OutputType.Oci, Tags = ["localhost:5000/verify-demo:1.0"] },
            },
            new StageSpec { Name = "files", Target = "app", Attest = new AttestSpec { Provenance = "min" } },
        ],
    };

    public static BuildSpec Git() => new()
    {
        Source = new SourceSpec { Git = new GitSourceSpec { Url = "https://github.com/your-org/daedalus.git", Ref = "main" } },
        Stages =
        [
            new StageSpec { Name = "linux-x64", Target = "staging", BuildArgs = new() { ["dotnet_runtime"] = "linux-x64" } },
        ],
    };

    /// <summary>The files of an example context, embedded in this assembly.</summary>
    public static Dictionary<string, string> Files(string scenario)
    {
        var assembly = typeof(ScenarioExamples).Assembly;
        var prefix = $"Examples/{scenario}/";
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(n => n[prefix.Length..], n => Read(assembly, n), StringComparer.Ordinal);
    }

    private static string Read(Assembly assembly, string name)
    {
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        return reader.ReadToEnd();
    }
}
