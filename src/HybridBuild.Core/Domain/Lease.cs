namespace HybridBuild.Core.Domain;

/// <summary>
/// What every piece of background work carries besides its own state: the transport's job id, which run holds it,
/// on which node, when that run last reported, and how often it was tried. The lifecycle class of each kind of
/// work claims, renews and recovers it with conditional updates on these fields.
/// </summary>
public interface ILeased
{
    string? JobId { get; set; }
    Guid? RunId { get; set; }
    Guid? NodeId { get; set; }
    DateTimeOffset? HeartbeatAt { get; set; }
    int Attempts { get; set; }
}
