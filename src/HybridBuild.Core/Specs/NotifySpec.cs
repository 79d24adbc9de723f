namespace HybridBuild.Core.Specs;

/// <summary>
/// A receiver of the build's events as signed JSON (Standard Webhooks): its URL, and the events it wants
/// (<see cref="Events"/>; all of them when absent).
/// </summary>
public sealed record NotifySpec
{
    /// <summary>An http or https URL the outbound policy allows.</summary>
    public string? Url { get; init; }
    /// <summary>Any of <c>build.queued</c>, <c>build.started</c>, <c>build.succeeded</c>, <c>build.failed</c>, <c>build.cancelled</c>.</summary>
    public List<string>? Events { get; init; }

    /// <summary>Every event a receiver may ask for.</summary>
    public static readonly IReadOnlyList<string> KnownEvents = ["build.queued", "build.started", "build.succeeded", "build.failed", "build.cancelled"];
}
