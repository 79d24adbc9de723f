namespace HybridBuild.Core.Domain;

/// <summary>Lifecycle of a whole build.</summary>
public enum BuildStatus { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>
/// Lifecycle of one stage of a build. <see cref="StageStatus.Expired"/>: handed to the transport, it waited longer than
/// its queue TTL for a worker and never ran.
/// </summary>
public enum StageStatus { Queued, Running, Succeeded, Failed, Cancelled, Skipped, Expired }

/// <summary>Where a build's context comes from.</summary>
public enum SourceKind { Git, Upload, Inline }

/// <summary>
/// What a stage hands back once BuildKit has solved it. <see cref="Oci"/> and <see cref="Docker"/> store the image as one
/// tarball artifact, <c>image.tar</c> (an OCI image layout, or what <c>docker load</c> reads), beside any attestation files.
/// </summary>
public enum OutputType { Artifacts, Image, None, Oci, Docker }

public static class StatusExtensions
{
    /// <summary>The output is stored as artifacts (files, or the image as a tarball): downloadable, and another stage's input.</summary>
    public static bool StoresArtifacts(this OutputType type) => type is OutputType.Artifacts or OutputType.Oci or OutputType.Docker;

    /// <summary>The output is an image (in an image store or registry, or as a tarball): tags name it, attestations go into its index.</summary>
    public static bool IsImage(this OutputType type) => type is OutputType.Image or OutputType.Oci or OutputType.Docker;

    public static bool IsTerminal(this StageStatus status) =>
        status is StageStatus.Succeeded or StageStatus.Failed or StageStatus.Cancelled or StageStatus.Skipped or StageStatus.Expired;

    public static bool IsTerminal(this PublicationStatus status) =>
        status is PublicationStatus.Succeeded or PublicationStatus.Failed;

    public static bool IsTerminal(this DeliveryOutcome outcome) =>
        outcome is not (DeliveryOutcome.Queued or DeliveryOutcome.Running);

    public static bool IsTerminal(this BuildStatus status) =>
        status is BuildStatus.Succeeded or BuildStatus.Failed or BuildStatus.Cancelled;
}
