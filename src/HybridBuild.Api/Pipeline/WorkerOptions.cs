namespace HybridBuild.Api.Pipeline;

/// <summary>How this node runs stages ("Worker").</summary>
public sealed record WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Run stages on this node (the worker role).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Stages this node runs at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Scratch space for contexts and exports; emptied after each stage.</summary>
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "hybridbuild-work");

    /// <summary>How long one stage may run.</summary>
    public TimeSpan StageTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>A running stage whose worker has not reported for this long is taken over by another worker.</summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a worker looks for a cancellation of the build it runs.</summary>
    public TimeSpan CancellationPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
