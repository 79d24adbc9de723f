namespace HybridBuild.Core.Domain;

public enum PublicationStatus { Queued, Running, Succeeded, Failed }

/// <summary>One file's (or image's) outcome: pending until published or failed; planned in a dry run.</summary>
public enum PublishedFileStatus { Pending, Planned, Published, Failed }

/// <summary>
/// Publishing a build's stored artifacts to a named target. It reads from blob storage, so it can be repeated at any
/// time after the build; each file's outcome is kept.
/// </summary>
public sealed class Publication : ILeased
{
    public Guid Id { get; set; }
    public Guid BuildId { get; set; }
    public string Target { get; set; } = "";
    /// <summary>The stages whose artifacts are published; empty means all.</summary>
    public List<string> Stages { get; set; } = [];
    public string PathTemplate { get; set; } = "";
    public Dictionary<string, string> Properties { get; set; } = [];
    public bool DryRun { get; set; }
    public PublicationStatus Status { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? RequestFingerprint { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    public List<PublishedArtifact> Files { get; set; } = [];

    public string? JobId { get; set; }
    public Guid? RunId { get; set; }
    public Guid? NodeId { get; set; }
    public DateTimeOffset? HeartbeatAt { get; set; }
    public int Attempts { get; set; }
}

/// <summary>One artifact's publication: where it went (or would go, in a dry run) and how.</summary>
public sealed record PublishedArtifact
{
    public string Stage { get; init; } = "";
    public string Path { get; init; } = "";
    public string? Platform { get; init; }
    public string Destination { get; init; } = "";
    public Dictionary<string, string> Properties { get; init; } = [];
    public long Size { get; init; }
    public string Sha256 { get; init; } = "";
    public PublishedFileStatus Status { get; init; }
    public string? DownloadUri { get; init; }
    public bool DeployedByChecksum { get; init; }
    public int Attempts { get; init; }
    public string? Error { get; init; }
}
