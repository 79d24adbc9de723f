namespace HybridBuild.BuildKit.Client;

/// <summary>Where a build's result goes. A build may have several.</summary>
public abstract record ExportRequest
{
    private ExportRequest()
    {
    }

    /// <summary>The result's file system, written into <paramref name="Directory"/> on this machine.</summary>
    /// <param name="Directory">Destination; created when missing.</param>
    /// <param name="PlatformSplit">One subdirectory per platform (<c>linux_amd64</c>); null = BuildKit's default (split only for several platforms).</param>
    public sealed record Local(string Directory, bool? PlatformSplit = null) : ExportRequest;

    /// <summary>The result's file system handed to <paramref name="Sink"/> file by file as it arrives; nothing is written to disk.</summary>
    /// <param name="PlatformSplit">One folder per platform (<c>linux_amd64/</c>) in the paths; null = BuildKit's default (split only for several platforms).</param>
    public sealed record LocalFiles(IExportFileSink Sink, bool? PlatformSplit = null) : ExportRequest;

    /// <summary>The result's file system as one tar file on this machine.</summary>
    public sealed record Tar(string FilePath, bool? PlatformSplit = null) : ExportRequest;

    /// <summary>
    /// The image as one tarball (the <c>oci</c> or <c>docker</c> exporter): an OCI image layout, or what <c>docker load</c>
    /// reads, with every platform and any attestation manifests in its index. It goes to <paramref name="FilePath"/> on this
    /// machine or, streamed as it arrives, to <paramref name="Sink"/> as one file named <paramref name="SinkPath"/>; give one of the two.
    /// </summary>
    /// <param name="Names">Image references recorded in the tarball (<c>name</c>); may be empty.</param>
    public sealed record ImageArchive(
        ImageArchiveFormat Format,
        IReadOnlyList<string> Names,
        string? FilePath = null,
        IExportFileSink? Sink = null,
        string SinkPath = "image.tar") : ExportRequest;

    /// <summary>An image in the daemon's image store (containerd) and, with <paramref name="Push"/>, in a registry.</summary>
    /// <param name="Names">Image references; may be empty for a push by digest via <paramref name="Attributes"/>.</param>
    /// <param name="Push">Push to the registry named by each reference; credentials come from <see cref="SolveRequest.Credentials"/>.</param>
    /// <param name="InsecureRegistry">Allow plain HTTP and unverified TLS for the registry.</param>
    /// <param name="Attributes">Further <c>image</c> exporter attributes (e.g. <c>compression</c>, <c>oci-mediatypes</c>); they win over the above.</param>
    public sealed record Image(
        IReadOnlyList<string> Names,
        bool Push = false,
        bool InsecureRegistry = false,
        IReadOnlyDictionary<string, string>? Attributes = null) : ExportRequest;

    /// <summary>An image loaded into a Docker Engine's own image store under <paramref name="Names"/> (Docker Engine addresses only).</summary>
    public sealed record DockerStore(IReadOnlyList<string> Names) : ExportRequest;
}

/// <summary>The layout of an <see cref="ExportRequest.ImageArchive"/>.</summary>
public enum ImageArchiveFormat
{
    /// <summary>An OCI image layout (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/</c>).</summary>
    Oci,

    /// <summary>A Docker image tarball (<c>manifest.json</c> beside the OCI layout), loadable with <c>docker load</c>.</summary>
    Docker,
}
