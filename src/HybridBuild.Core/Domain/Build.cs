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

    public List<Stage> Stages { get; set; } = [];
    /// <summary>Publications the spec asked for, made when the build succeeds.</summary>
    public List<Specs.PublishSpec> Publish { get; set; } = [];
    /// <summary>Receivers of the build's events.</summary>
    public List<Specs.NotifySpec> Notify { get; set; } = [];
    /// <summary>The trigger that started the build, whose report settings post its commit statuses.</summary>
    public Guid? TriggerId { get; set; }
}
