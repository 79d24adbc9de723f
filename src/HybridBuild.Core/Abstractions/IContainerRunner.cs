namespace HybridBuild.Core.Abstractions;

/// <summary>Runs verification containers on a Docker engine and removes them, also those a dead node left behind.</summary>
public interface IContainerRunner
{
    /// <summary>
    /// Runs the container to its exit, its output going to <paramref name="output"/>, and removes it whatever happens
    /// (cancelled included: the token stops it). A run that cannot start is a result with <see cref="ContainerRunResult.Error"/>.
    /// </summary>
    Task<ContainerRunResult> RunAsync(ContainerRunRequest request, IBuildProgress output, CancellationToken cancellationToken);

    /// <summary>
    /// Lists, on every engine it runs containers on, the containers labelled with a run, and removes those
    /// <paramref name="ended"/> picks (by id); returns how many it removed.
    /// </summary>
    Task<int> SweepAsync(Func<IReadOnlyList<RunContainer>, CancellationToken, Task<IReadOnlySet<string>>> ended, CancellationToken cancellationToken);
}

public sealed record ContainerRunRequest
{
    public required string Image { get; init; }
    /// <summary>The Docker engine whose image store holds <see cref="Image"/> (an earlier stage's builder); the configured engine when null.</summary>
    public string? DockerHost { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public bool Network { get; init; }
    public string? Runtime { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>The container's exit code and what ran it; or, when it could not run, why (<see cref="Error"/>).</summary>
public sealed record ContainerRunResult(int? ExitCode, string? Runtime, string? Error)
{
    public static ContainerRunResult Exited(int exitCode, string runtime) => new(exitCode, runtime, null);
    public static ContainerRunResult NotRun(string error) => new(null, null, error);
}

/// <summary>A container a verification run made, as its labels and the engine describe it; ids that do not parse are empty.</summary>
public sealed record RunContainer(string Id, Guid BuildId, Guid RunId, DateTimeOffset Created);
