using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HybridBuild.Core.Specs;

/// <summary>What a client submits: where the context comes from and the stages to run.</summary>
public sealed record BuildSpec
{
    /// <summary>A git repository to build; absent when the context is uploaded.</summary>
    public SourceSpec? Source { get; init; }
    /// <summary>Path of the Dockerfile inside the context.</summary>
    public string? Dockerfile { get; init; }
    [Required]
    public List<StageSpec>? Stages { get; init; }
    /// <summary>Publications to make automatically once the build has succeeded.</summary>
    public List<PublishSpec>? Publish { get; init; }
    /// <summary>Keep the build however old it gets: retention (the Retention settings) never deletes a pinned build.</summary>
    public bool Pinned { get; init; }
    /// <summary>Build every stage without BuildKit's cache (as each stage's <c>noCache</c>).</summary>
    public bool NoCache { get; init; }
    /// <summary>
    /// Once the build has succeeded, rebuild its artifact stages without cache (on another builder when the pool has one;
    /// git builds with <c>SOURCE_DATE_EPOCH</c> at the commit's time, the original's stages too) and compare every artifact by SHA-256.
    /// </summary>
    public bool Reproduce { get; init; }
    /// <summary>Receivers of the build's events (started, succeeded, failed, cancelled) as signed JSON, retried with back-off.</summary>
    public List<NotifySpec>? Notify { get; init; }
}

public sealed record SourceSpec
{
    public GitSourceSpec? Git { get; init; }
    /// <summary>A small context given inline: file path to UTF-8 content.</summary>
    public InlineSourceSpec? Inline { get; init; }
}

public sealed record InlineSourceSpec
{
    [Required]
    public Dictionary<string, string>? Files { get; init; }
    /// <summary>Paths (of <see cref="Files"/>) to mark executable.</summary>
    public List<string>? Executables { get; init; }
}

public sealed record GitSourceSpec
{
    /// <summary>https, http, ssh or git URL of the repository.</summary>
    [Required]
    public string? Url { get; init; }
    /// <summary>Branch, tag or commit; the default branch when absent.</summary>
    public string? Ref { get; init; }
}

public sealed record StageSpec
{
    /// <summary>Unique in the build; names the stage in URLs, logs, needs and inputs.</summary>
    [Required]
    public string? Name { get; init; }
    /// <summary>The Dockerfile stage to build (<c>--target</c>).</summary>
    public string? Target { get; init; }
    public Dictionary<string, string>? BuildArgs { get; init; }
    /// <summary>Platforms such as <c>linux/amd64</c> or <c>wasi/wasm</c>.</summary>
    public List<string>? Platforms { get; init; }
    /// <summary>Stages that must succeed before this one starts.</summary>
    public List<string>? Needs { get; init; }
    /// <summary>Artifacts of other stages placed into this stage's context before it runs.</summary>
    public List<StageInputSpec>? Inputs { get; init; }
    public OutputSpec? Output { get; init; }
    /// <summary>Named build secrets (created by an admin) this stage may mount: <c>RUN --mount=type=secret,id=name</c>.</summary>
    public List<string>? Secrets { get; init; }
    /// <summary>How long the stage may run, as <c>hh:mm:ss</c> (e.g. <c>00:10:00</c>); the node's Worker:StageTimeout when absent.</summary>
    public string? Timeout { get; init; }
    /// <summary>How long the stage may wait for a worker once it is ready, as <c>hh:mm:ss</c>; past it the stage ends expired. Worker:QueueTtl when absent.</summary>
    public string? QueueTtl { get; init; }
    /// <summary>
    /// Build-argument axes: the stage runs once per combination of their values, as stages named
    /// <c>{name}-{value}[-{value}…]</c> (values in axis order); see <see cref="MatrixSpec"/>.
    /// </summary>
    public MatrixSpec? Matrix { get; init; }
    /// <summary>Cache sources and destinations in buildx's vocabulary (<c>--cache-from</c>, <c>--cache-to</c>).</summary>
    public CacheSpec? Cache { get; init; }
    /// <summary>Build without BuildKit's cache (<c>--no-cache</c>).</summary>
    public bool NoCache { get; init; }
    /// <summary>Dockerfile stages built without cache (<c>--no-cache-filter</c>).</summary>
    public List<string>? NoCacheFilter { get; init; }
    /// <summary>Run a container from an image instead of building: a verification stage. It builds nothing, so it takes no target, build args, platforms, inputs, secrets or output.</summary>
    public RunSpec? Run { get; init; }
    /// <summary>
    /// Attestations of the stage's output: <c>{"provenance": "max", "sbom": true}</c>. An image (pushed, kept, or an
    /// <c>oci</c>/<c>docker</c> tarball) carries them in its index; an artifacts output stores them as files beside its own
    /// (<c>provenance.json</c>, <c>sbom.spdx.json</c>; in each platform's folder for several platforms).
    /// </summary>
    public AttestSpec? Attest { get; init; }
}

/// <summary>What BuildKit attests of a stage's output.</summary>
public sealed record AttestSpec
{
    /// <summary>SLSA provenance: <c>min</c> (the build's frontend, arguments and materials) or <c>max</c> (also every step and the Dockerfile); none when absent.</summary>
    public string? Provenance { get; init; }
    /// <summary>An SPDX SBOM of the output, made by the scanner image Engine:Attestations:SbomGenerator (which the engine must be able to pull).</summary>
    public bool Sbom { get; init; }
}

/// <summary>
/// Cache sources and destinations as buildx writes them: <c>type=registry,ref=registry.example.com/team/app:cache</c>
/// (a bare reference means that too), <c>mode=max</c> to export every step's cache, <c>type=inline</c> (to an image output).
/// </summary>
public sealed record CacheSpec
{
    /// <summary>Where the solve may find cache (<c>--cache-from</c>): registry entries.</summary>
    public List<string>? From { get; init; }
    /// <summary>Where the solve exports its cache (<c>--cache-to</c>): registry entries, or <c>type=inline</c> for an image output.</summary>
    public List<string>? To { get; init; }
}

/// <summary>
/// A stage's matrix. Every property but <c>exclude</c> is an axis: a build argument and the list of its values,
/// <c>{"os": ["linux", "windows"], "arch": ["x64", "arm64"]}</c>. The stage expands into one stage per combination of
/// the cross product (the last axis varying fastest), each with those build arguments set, less the combinations that
/// hold every value of an <c>exclude</c> entry (<c>[{"os": "windows", "arch": "arm64"}]</c>). Another stage's
/// <c>needs</c> or <c>inputs</c> may name the matrix stage (all its combinations; inputs go to <c>{path}/{expanded name}/</c>)
/// or one combination by its expanded name.
/// </summary>
public sealed record MatrixSpec
{
    /// <summary>Combinations to leave out: each entry maps some axes to one of their values.</summary>
    public List<Dictionary<string, string>>? Exclude { get; init; }

    /// <summary>The axes, in the order written: build-argument name to a list of values.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Axes { get; init; }
}

/// <summary>A container a verification stage runs; its exit code must be <see cref="ExpectExitCode"/>.</summary>
public sealed record RunSpec
{
    /// <summary>The name of an earlier stage of this build with a tagged image output (implies <c>needs</c> on it), or an image reference.</summary>
    [Required]
    public string? Image { get; init; }
    /// <summary>Replaces the image's CMD (its ENTRYPOINT stays); the image's own CMD when absent.</summary>
    public List<string>? Command { get; init; }
    /// <summary>Environment variables of the container; their values never appear in logs or in the API.</summary>
    public Dictionary<string, string>? Env { get; init; }
    /// <summary>How long the container may run, as <c>hh:mm:ss</c>; the stage's own timeout bounds it anyway.</summary>
    public string? Timeout { get; init; }
    /// <summary>The exit code that makes the stage succeed (0 when absent).</summary>
    public int ExpectExitCode { get; init; }
    /// <summary>Give the container the engine's default network; it has none (network mode <c>none</c>) otherwise.</summary>
    public bool Network { get; init; }
    /// <summary>An alternative container runtime of the engine, e.g. <c>io.containerd.wasmedge.v1</c>; the engine's default when absent.</summary>
    public string? Runtime { get; init; }
}

public sealed record StageInputSpec
{
    [Required]
    public string? Stage { get; init; }
    /// <summary>Relative path inside this stage's context where the artifacts are placed.</summary>
    [Required]
    public string? Path { get; init; }
}

public sealed record OutputSpec
{
    /// <summary>
    /// <c>artifacts</c> (the result's files), <c>image</c> (kept in the engine, or pushed), or the image as one tarball
    /// artifact <c>image.tar</c>: <c>oci</c> (an OCI image layout) or <c>docker</c> (for <c>docker load</c>).
    /// </summary>
    public OutputType Type { get; init; } = OutputType.Artifacts;
    /// <summary>Image references: the pushed or kept names, or the names inside an <c>oci</c>/<c>docker</c> tarball.</summary>
    public List<string>? Tags { get; init; }
    /// <summary>Push the image to the registry its tags name (<c>image</c> outputs only).</summary>
    public bool Push { get; init; }
}

/// <summary>An automatic publication: a configured target, the stages (default all), a path template and properties.</summary>
public sealed record PublishSpec
{
    public string? Target { get; init; }
    public List<string>? Stages { get; init; }
    public string? Path { get; init; }
    public Dictionary<string, string>? Properties { get; init; }
}
