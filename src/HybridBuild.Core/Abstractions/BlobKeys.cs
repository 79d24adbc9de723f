namespace HybridBuild.Core.Abstractions;

/// <summary>The layout of keys in blob storage. Keys are derived from content or ids, so a retried write lands on the same key.</summary>
public static class BlobKeys
{
    /// <summary>Artifacts are stored by content: the same file built twice is stored once.</summary>
    public static string Artifact(string sha256) => $"artifacts/sha256/{sha256[..2]}/{sha256}";

    public static string Context(Guid buildId, bool gzip) => $"contexts/{buildId:N}.tar{(gzip ? ".gz" : "")}";
}
