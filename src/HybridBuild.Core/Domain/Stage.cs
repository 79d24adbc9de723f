namespace HybridBuild.Core.Domain;

/// <summary>One BuildKit solve of a build: a target with its arguments, platforms and output.</summary>
public sealed class Stage : ILeased
{
    public Guid Id { get; set; }
    public Guid BuildId { get; set; }
    public Build? Build { get; set; }
    /// <summary>Position in the submitted spec, to list stages in the order the user wrote them.</summary>
    public int Ordinal { get; set; }
    public string Name { get; set; } = "";
    public string? Target { get; set; }
    public Dictionary<string, string> BuildArgs { get; set; } = [];
    public List<string> Platforms { get; set; } = [];
    public List<string> Needs { get; set; } = [];
    public List<StageInput> Inputs { get; set; } = [];
    public StageOutput Output { get; set; } = new();
    /// <summary>Names of build secrets the stage's RUN steps may mount (<c>--mount=type=secret,id=name</c>).</summary>
    public List<string> Secrets { get; set; } = [];
    /// <summary>How long the stage may run (the spec's <c>timeout</c>); null: the node's Worker:StageTimeout when it runs.</summary>
    public TimeSpan? Timeout { get; set; }
    /// <summary>How long the stage may wait for a worker once queued (the spec's <c>queueTtl</c>); null: Worker:QueueTtl.</summary>
    public TimeSpan? QueueTtl { get; set; }
    /// <summary>The matrix combination this stage is, when a matrix stage of the spec expanded into it.</summary>
    public StageMatrix? Matrix { get; set; }
    /// <summary>Cache imports, exports and no-cache settings of the stage's solve.</summary>
    public StageCache Cache { get; set; } = new();
    /// <summary>What the cache did for the stage's last solve; null before it ran (or when its engine said nothing).</summary>
    public CacheUse? CacheUse { get; set; }
    /// <summary>The container a verification stage runs instead of a solve; null for a stage that builds.</summary>
    public StageRun? Run { get; set; }

    public StageStatus Status { get; set; }
    public DateTimeOffset? EnqueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    public string? ImageDigest { get; set; }
    /// <summary>The builder (BuildKit daemon of the pool) the stage's last solve ran on.</summary>
    public string? Builder { get; set; }
    /// <summary>The exit code of a verification stage's container, once it has exited.</summary>
    public int? ExitCode { get; set; }
    /// <summary>What ran a verification stage's container: the engine's runtime, or the WASI runtime of the helper image.</summary>
    public string? Runtime { get; set; }

    /// <summary>The Hangfire job carrying this stage; transport only.</summary>
    public string? JobId { get; set; }
    /// <summary>Identifies the run that holds the stage, so a duplicate delivery cannot run it twice.</summary>
    public Guid? RunId { get; set; }
    /// <summary>The node whose run holds the stage.</summary>
    public Guid? NodeId { get; set; }
    public DateTimeOffset? HeartbeatAt { get; set; }
    public int Attempts { get; set; }

    /// <summary>Every stage this one waits for: its needs and the stages its inputs come from.</summary>
    public IEnumerable<string> Dependencies => Needs.Concat(Inputs.Select(i => i.Stage)).Distinct(StringComparer.Ordinal);
}

public sealed record StageInput(string Stage, string Path);

/// <summary>
/// Where a stage came from: the spec's matrix stage <paramref name="Stage"/>, with the axis values of this combination
/// (also among its build arguments); <paramref name="Index"/> is the combination's position, to list them in order.
/// </summary>
public sealed record StageMatrix(string Stage, Dictionary<string, string> Values, int Index);

public sealed record StageOutput
{
    /// <summary>The artifact path of an <c>oci</c> or <c>docker</c> output's tarball.</summary>
    public const string ImageTarball = "image.tar";

    public OutputType Type { get; init; } = OutputType.Artifacts;
    public List<string> Tags { get; init; } = [];
    public bool Push { get; init; }
    /// <summary>Attestations BuildKit adds to the output (the spec's <c>attest</c>); null for none.</summary>
    public StageAttestations? Attest { get; init; }
}

/// <summary>
/// Attestations of a stage's output: SLSA provenance (<c>min</c> or <c>max</c>) and an SPDX SBOM made by the configured
/// scanner image (Engine:Attestations:SbomGenerator). An image carries them in its index (an attestation manifest per
/// platform); an artifacts output gets them as files beside its own (<c>provenance.json</c>, <c>sbom.spdx.json</c>).
/// </summary>
public sealed record StageAttestations
{
    /// <summary><c>min</c> or <c>max</c>; null for no provenance.</summary>
    public string? Provenance { get; init; }
    public bool Sbom { get; init; }
}

/// <summary>
/// A verification stage's container (the spec's <c>run</c>): from the image of <see cref="ImageStage"/> when it names
/// a stage of the build, else from the reference <see cref="Image"/>.
/// </summary>
public sealed record StageRun
{
    public string Image { get; init; } = "";
    public string? ImageStage { get; init; }
    /// <summary>Replaces the image's CMD; null keeps it.</summary>
    public List<string>? Command { get; init; }
    public Dictionary<string, string> Env { get; init; } = [];
    public TimeSpan? Timeout { get; init; }
    public int ExpectExitCode { get; init; }
    public bool Network { get; init; }
    public string? Runtime { get; init; }
}
