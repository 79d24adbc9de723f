namespace HybridBuild.Application.Pipeline;

/// <summary>How this node runs background work ("Worker").</summary>
public sealed record WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Run stages, publications and spec-file reads on this node (the worker role).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Stages this node runs at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Publications this node runs at once, beside its stages (a worker pool of their own, so neither kind waits for the other).</summary>
    public int PublicationConcurrency { get; init; } = 2;

    /// <summary>Spec files (of triggers whose spec lives in the repository) this node reads at once, beside its stages and publications.</summary>
    public int SpecFileConcurrency { get; init; } = 1;

    /// <summary>Notifications (commit statuses and webhooks) this node sends at once.</summary>
    public int NotificationConcurrency { get; init; } = 2;

    /// <summary>Scratch space for contexts and the buildx engine's exports; emptied after each stage. Uploads and the native engine's exports stream to blob storage.</summary>
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "hybridbuild-work");

    /// <summary>How long one stage may run when its spec sets no <c>timeout</c>.</summary>
    public TimeSpan StageTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// How long a stage stopped for its timeout (or its build's cancellation) may take to stop; past it the stage is ended
    /// anyway and no longer heartbeated, so an executor that ignores cancellation cannot hold it running forever.
    /// </summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stage handed to the transport may wait for a worker when its spec sets no <c>queueTtl</c>; past it the
    /// stage ends expired. Null (the default): it waits until a worker takes it.
    /// </summary>
    public TimeSpan? QueueTtl { get; init; }

    /// <summary>
    /// How long a run keeps going without being able to report to the database (an outage): past it, its work may be
    /// taken over. Work whose node has stopped is taken over after <see cref="NodeTimeout"/> instead.
    /// </summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a node and each run it holds report that they are alive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A node silent for this long is gone: its work is recovered.</summary>
    public TimeSpan NodeTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often a worker node checks each builder of the pool (a down one is used again once a check answers).</summary>
    public TimeSpan BuilderCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the reconciler looks for lost work.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a worker looks for a cancellation of the build it runs.</summary>
    public TimeSpan CancellationPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Tries of one piece of work whose node died under it, before it is failed.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>
    /// UTF-8 bytes of log text a build may store (64 MiB by default); past it, its further lines are dropped after one
    /// marker line, and the build is marked <c>logTruncated</c>. Step and stage events are always kept.
    /// </summary>
    public long MaxLogBytes { get; init; } = 64L << 20;

    /// <summary>The workers this node runs for <paramref name="kind"/>, each kind on its own Hangfire server.</summary>
    public int ConcurrencyOf(JobKind kind) => kind switch
    {
        JobKind.Stage => Concurrency,
        JobKind.Publication => PublicationConcurrency,
        JobKind.SpecFile => SpecFileConcurrency,
        JobKind.Notification => NotificationConcurrency,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no worker count for this kind of job"),
    };

    /// <summary>
    /// The longest a stage's run may last: the longest timeout it can have (a spec's, or this node's default) and the
    /// grace to stop. Scratch space older than this belongs to no live run.
    /// </summary>
    public TimeSpan MaxStageLifetime() =>
        (StageTimeout > Core.Specs.SpecRules.MaxStageTimeout ? StageTimeout : Core.Specs.SpecRules.MaxStageTimeout) + StopGrace;
}
