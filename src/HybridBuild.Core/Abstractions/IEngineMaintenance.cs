namespace HybridBuild.Core.Abstractions;

/// <summary>Housekeeping of what builds leave in the engine (images kept by <c>push: false</c> outputs).</summary>
public interface IEngineMaintenance
{
    /// <summary>Removes what outlived its configured keep time; returns how many items were removed.</summary>
    Task<int> PruneAsync(CancellationToken cancellationToken);
}

/// <summary>The labels the service puts on everything it makes in an engine, so orphans can be found and removed.</summary>
public static class EngineLabels
{
    public const string BuildId = "io.hybridbuild.build-id";
    public const string Stage = "io.hybridbuild.stage";
    /// <summary>On a verification stage's containers: the node that ran it, and the stage's run (a sweep removes a container whose run has ended).</summary>
    public const string Node = "io.hybridbuild.node";
    public const string Run = "io.hybridbuild.run";
}
