namespace HybridBuild.Application.Submissions;

/// <summary>What stages may produce ("Outputs").</summary>
public sealed record OutputOptions
{
    public const string Section = "Outputs";

    /// <summary>
    /// Prefixes an image tag must start with (e.g. "registry.example.com/builds/"); any tag when empty.
    /// Set it in production: with the Docker engine's BuildKit, a tag such as "postgres:17" would replace that image on the host.
    /// </summary>
    public List<string> AllowedTagPrefixes { get; init; } = [];
}
