namespace HybridBuild.Application.Nodes;

/// <summary>This process, as the work it holds names it. New at every start, so a restarted node never claims what its previous life held.</summary>
public sealed class NodeIdentity
{
    public Guid Id { get; } = Guid.CreateVersion7();

    public string Name { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Since when this node has reached the database without a gap, or null while it cannot.</summary>
    public DateTimeOffset? HealthySince { get; private set; }

    internal void Reported(DateTimeOffset now) => HealthySince ??= now;

    internal void Lost() => HealthySince = null;
}
