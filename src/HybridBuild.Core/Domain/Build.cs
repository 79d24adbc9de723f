namespace HybridBuild.Core.Domain;

/// <summary>A submitted build: a source, a Dockerfile and a pipeline of stages.</summary>
public sealed class Build
{
    public Guid Id { get; set; }
    public BuildStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? CancelRequestedAt { get; set; }
    /// <summary>
    /// Set with the settle, cleared once the settled build's follow-ups are made (its automatic publications, the verdict
    /// of the reproduction it is, the reproduction it asked for): a mark still set after the sweep interval means the node
    /// stopped in between, and the reconciler makes them again (each is idempotent).
    /// </summary>
    public DateTimeOffset? FollowUpsDueSince { get; set; }
    /// <summary>Which run of the build this is: 1 for the first, one more for each retry of its unsuccessful stages.</summary>
    public int Attempt { get; set; } = 1;
    /// <summary>Kept by retention however old it is (set at submission or with PUT/DELETE .../pin).</summary>
    public bool Pinned { get; set; }
    /// <summary>UTF-8 bytes of log text stored for the build, counted against Worker:MaxLogBytes.</summary>
    public long LogBytes { get; set; }
    /// <summary>The log reached Worker:MaxLogBytes: later lines were dropped, after one marker line.</summary>
    public bool LogTruncated { get; set; }

    public SourceKind SourceKind { get; set; }
    public string? GitUrl { get; set; }
    public string? GitRef { get; set; }
    /// <summary>The commit a git source resolved to, once a stage has fetched it.</summary>
    public string? GitCommit { get; set; }
    /// <summary>Blob key of an uploaded context archive.</summary>
    public string? ContextKey { get; set; }
    public long? ContextSize { get; set; }
    public string Dockerfile { get; set; } = "Dockerfile";

    public string? IdempotencyKey { get; set; }
    /// <summary>SHA-256 of the request, so a reused idempotency key with another request is refused.</summary>
    public string? RequestFingerprint { get; set; }

    /// <summary>The spec asked for a reproduction once the build has succeeded (<c>"reproduce": true</c>).</summary>
    public bool Reproduce { get; set; }
    /// <summary>Set on a reproduction: the build whose artifact stages it rebuilds without cache, to compare their artifacts.</summary>
    public Guid? ReproductionOf { get; set; }
    /// <summary>The last reproduction of this build and, once it has ended, how its artifacts compare.</summary>
    public ReproductionResult? Reproduction { get; set; }

    public List<Stage> Stages { get; set; } = [];
    /// <summary>Publications the spec asked for, made when the build succeeds.</summary>
    public List<Specs.PublishSpec> Publish { get; set; } = [];
    /// <summary>Receivers of the build's events.</summary>
    public List<Specs.NotifySpec> Notify { get; set; } = [];
    /// <summary>The trigger that started the build, whose report settings post its commit statuses.</summary>
    public Guid? TriggerId { get; set; }
}

public enum ReproductionStatus { Running, Reproducible, NotReproducible, Failed }

/// <summary>
/// A reproduction of a build (<see cref="BuildId"/>, the rebuild) and its verdict: every artifact of the rebuilt stages
/// compared by SHA-256; <see cref="Differing"/> also holds files only one of the two builds has (the other digest null).
/// </summary>
public sealed record ReproductionResult
{
    public Guid BuildId { get; init; }
    public ReproductionStatus Status { get; init; }
    public List<ArtifactComparison> Identical { get; init; } = [];
    public List<ArtifactComparison> Differing { get; init; } = [];
    /// <summary>Why a reproduction failed (its build did not succeed).</summary>
    public string? Error { get; init; }
    public DateTimeOffset? ComparedAt { get; init; }
}

/// <summary>One artifact of both builds: the stage, its path, and its SHA-256 in the original and in the reproduction.</summary>
public sealed record ArtifactComparison(string Stage, string Path, string? Original, string? Reproduced);
