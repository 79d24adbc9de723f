namespace HybridBuild.Application.Publications;

/// <summary>A request to publish a succeeded build: a target by name, the stages (all when empty), a path template and properties.</summary>
public sealed record PublishRequest
{
    public string? Target { get; init; }
    public List<string>? Stages { get; init; }
    public string? Path { get; init; }
    public Dictionary<string, string>? Properties { get; init; }
    public bool DryRun { get; init; }

    /// <summary>A spec's <c>publish</c> entry, made when its build succeeds.</summary>
    public static PublishRequest From(PublishSpec spec) =>
        new() { Target = spec.Target, Stages = spec.Stages, Path = spec.Path, Properties = spec.Properties };
}
