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

/// <summary>What a stage hands back once BuildKit has solved it.</summary>
public enum OutputType { Artifacts, Image, None }

public static class StatusExtensions
{
    public static bool IsTerminal(this StageStatus status) =>
        status is StageStatus.Succeeded or StageStatus.Failed or StageStatus.Cancelled or StageStatus.Skipped or StageStatus.Expired;

    public static bool IsTerminal(this PublicationStatus status) =>
        status is PublicationStatus.Succeeded or PublicationStatus.Failed;

    public static bool IsTerminal(this DeliveryOutcome outcome) =>
        outcome is not (DeliveryOutcome.Queued or DeliveryOutcome.Running);

    public static bool IsTerminal(this BuildStatus status) =>
        status is BuildStatus.Succeeded or BuildStatus.Failed or BuildStatus.Cancelled;
}
