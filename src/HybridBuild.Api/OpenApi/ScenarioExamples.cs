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

    /// <summary>The Artifactory scenario's linux-x64 executable, with a reproducibility check once it has succeeded.</summary>
    public static BuildSpec Reproduce() => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = Files("artifactory") } },
        Stages = [new StageSpec { Name = "linux-x64", Target = "staging", BuildArgs = new() { ["dotnet_runtime"] = "linux-x64" } }],
        Reproduce = true,
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
    /// The article's scenarios as one pipeline: the Artifactory executables as a matrix stage (<c>publish-win-x64</c>,
    /// <c>publish-linux-x64</c>), the WASM module fetched back (<c>wasm-module</c>), packaged as a wasi/wasm image kept in
    /// the engine as <paramref name="tag"/> (<c>wasm-image</c>), and verified by running it (<c>verify</c>: under the
    /// engine's wasm runtime where it has one, else the WASI runtime of Engine:Wasi:Image).
    /// </summary>
    public static BuildSpec Seed(string tag = "localhost:5000/hellowasm:seed") => new()
    {
        // the Artifactory scenario's project under daedalus/, beside the pipeline's own Dockerfile
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new(Files("artifactory").Where(f => f.Key != "Dockerfile")
            .Select(f => KeyValuePair.Create($"daedalus/{f.Key}", f.Value)).Concat(Files("seed")), StringComparer.Ordinal) } },
        Stages =
        [
            new StageSpec
            {
                Name = "publish", Target = "staging",
                Matrix = new MatrixSpec { Axes = new() { ["dotnet_runtime"] = JsonSerializer.SerializeToElement<string[]>(["win-x64", "linux-x64"]) } },
            },
            new StageSpec { Name = "wasm-module", Target = "wasm-staging" },
            new StageSpec
            {
                Name = "wasm-image", Target = "wasm-final", Platforms = ["wasi/wasm"],
                Inputs = [new StageInputSpec { Stage = "wasm-module", Path = "docker_out" }],
                Output = new OutputSpec { Type = OutputType.Image, Tags = [tag] },
            },
            new StageSpec { Name = "verify", Run = new RunSpec { Image = "wasm-image", Timeout = "00:02:00" } },
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

    /// <summary>The git example, reporting its events to a receiver as signed Standard Webhooks.</summary>
    public static BuildSpec Notify() => Git() with
    {
        Notify = [new NotifySpec { Url = "https://ci.example.com/hybridbuild", Events = ["build.started", "build.succeeded", "build.failed"] }],
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
