namespace HybridBuild.Application.Retention;

/// <summary>
/// How long finished builds are kept, per status ("Retention"): e.g. <c>Retention:Succeeded=30.00:00:00</c>. A status
/// left unset is kept forever; pinned builds are always kept. The age counts from when the build finished (its last
/// attempt, for a retried build).
/// </summary>
public sealed record RetentionOptions
{
    public const string Section = "Retention";

    public TimeSpan? Succeeded { get; init; }
    public TimeSpan? Failed { get; init; }
    public TimeSpan? Cancelled { get; init; }

    /// <summary>Builds one query of the sweep finds and then deletes one by one, before it looks again.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The statuses that have an age, with it.</summary>
    public IEnumerable<(BuildStatus Status, TimeSpan Age)> Ages()
    {
        if (Succeeded is { } succeeded) yield return (BuildStatus.Succeeded, succeeded);
        if (Failed is { } failed) yield return (BuildStatus.Failed, failed);
        if (Cancelled is { } cancelled) yield return (BuildStatus.Cancelled, cancelled);
    }
}
