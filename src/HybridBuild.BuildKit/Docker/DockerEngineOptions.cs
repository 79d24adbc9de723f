namespace HybridBuild.BuildKit.Docker;

/// <summary>The Docker engine the service talks to ("Engine:Docker").</summary>
public sealed record DockerEngineOptions
{
    /// <summary>Engine endpoint; DOCKER_HOST or the local socket when empty.</summary>
    public string? Host { get; init; }

    /// <summary>
    /// How long images that stages kept in the engine (image outputs without push) stay there; they carry the
    /// label <see cref="Core.Abstractions.EngineLabels.BuildId"/> and are pruned by a recurring job once older. Kept forever when empty.
    /// </summary>
    public TimeSpan? KeepImagesFor { get; init; }

    public string ResolvedHost =>
        !string.IsNullOrWhiteSpace(Host) ? Host
        : Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : "unix:///var/run/docker.sock";
}
