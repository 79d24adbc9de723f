namespace HybridBuild.Core.Domain;

/// <summary>
/// A running process of the service. It writes its heartbeat every few seconds; work it holds (a running stage, a
/// publication, a delivery) is taken over as soon as its heartbeat is stale, instead of waiting for a lease to expire.
/// </summary>
public sealed class Node
{
    public Guid Id { get; set; }
    /// <summary>Host and process, for people: <c>build-7:4242</c>.</summary>
    public string Name { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset HeartbeatAt { get; set; }
}
