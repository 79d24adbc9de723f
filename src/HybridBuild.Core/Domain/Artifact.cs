namespace HybridBuild.Core.Domain;

/// <summary>A file a stage exported, stored content-addressed in blob storage.</summary>
public sealed class Artifact
{
    public Guid Id { get; set; }
    public Guid BuildId { get; set; }
    public Guid StageId { get; set; }
    public string StageName { get; set; } = "";
    /// <summary>Relative path inside the stage's export (with the platform folder for multi-platform stages).</summary>
    public string Path { get; set; } = "";
    public string? Platform { get; set; }
    public long Size { get; set; }
    public string Sha256 { get; set; } = "";
    /// <summary>Unix permission bits, e.g. 0755.</summary>
    public int Mode { get; set; }
    public string BlobKey { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}
