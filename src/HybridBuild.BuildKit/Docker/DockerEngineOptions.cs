namespace HybridBuild.BuildKit.Docker;

/// <summary>The Docker engine the service talks to ("Engine:Docker").</summary>
public sealed record DockerEngineOptions
{
    /// <summary>Engine endpoint; DOCKER_HOST or the local socket when empty.</summary>
    public string? Host { get; init; }

    public string ResolvedHost =>
        !string.IsNullOrWhiteSpace(Host) ? Host
        : Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : "unix:///var/run/docker.sock";
}
