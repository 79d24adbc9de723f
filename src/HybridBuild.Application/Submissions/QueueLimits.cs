namespace HybridBuild.Application.Submissions;

/// <summary>How many builds may wait for a worker ("Limits", beside the limits on contexts).</summary>
public sealed record QueueLimits
{
    public const string Section = "Limits";

    /// <summary>
    /// Builds that may wait for a worker at once (<see cref="BuildLifecycle.WaitingCountAsync"/> says which count); a
    /// submission past it is refused with 429 and stores nothing. Unset: no cap.
    /// </summary>
    public int? MaxQueuedBuilds { get; init; }

    /// <summary>The <c>Retry-After</c> a submission refused for a full queue is answered with.</summary>
    public TimeSpan QueueFullRetryAfter { get; init; } = TimeSpan.FromSeconds(30);
}
