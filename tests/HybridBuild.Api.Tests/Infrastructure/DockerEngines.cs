namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// The two independent Docker engines the pool and several-node tests build on: this machine's (DOCKER_HOST, or the
/// local socket) and a second one with busybox in its image store: the unix socket HYBRIDBUILD_TEST_SECOND_DOCKER names,
/// or, when it is not set, an engine the tests start on the first one (<see cref="NestedDockerEngine"/>, once per run).
/// </summary>
public static class DockerEngines
{
    public const string SecondEngineVariable = "HYBRIDBUILD_TEST_SECOND_DOCKER";

    public static string First =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host && host.StartsWith("unix://") ? host["unix://".Length..] : "/var/run/docker.sock";

    /// <summary>The second engine's unix socket: the one given, or the one the tests started.</summary>
    public static async Task<string> SecondAsync(ServiceFixture service)
    {
        if (Environment.GetEnvironmentVariable(SecondEngineVariable) is not { Length: > 0 } socket)
            return (await service.NestedEngine.GetAsync()).Socket;
        if (!File.Exists(socket))
            throw new InvalidOperationException($"{SecondEngineVariable} names {socket}, and there is no socket there: it should be the unix socket of a second "
                + "Docker engine with busybox (unset it to have the tests start one): builders and worker nodes are tested on two independent daemons.");
        return socket;
    }

    /// <summary>
    /// A Docker engine whose BuildKit does not clip step logs (BUILDKIT_STEP_LOG_MAX_SIZE=-1 and BUILDKIT_STEP_LOG_MAX_SPEED=-1),
    /// in DOCKER_HOST form: the one <see cref="LogLimitTests.UnclippedEngineVariable"/> names, or the one the tests started, which has them.
    /// </summary>
    public static async Task<string> UnclippedAsync(ServiceFixture service) =>
        Environment.GetEnvironmentVariable(LogLimitTests.UnclippedEngineVariable) is { Length: > 0 } given ? given : (await service.NestedEngine.GetAsync()).Host;

    /// <summary>The settings of a node whose builders are these engines, each taking <paramref name="maxSolves"/> solves at once.</summary>
    public static (string, string)[] Builders(int maxSolves, params (string Name, string Socket)[] builders) =>
    [
        .. builders.SelectMany((b, i) => new[]
        {
            ($"Engine__Builders__{i}__Name", b.Name), ($"Engine__Builders__{i}__Address", $"docker+unix://{b.Socket}"),
            ($"Engine__Builders__{i}__MaxSolves", maxSolves.ToString()),
        }),
        ("Worker__BuilderCheckInterval", "00:00:02"),
    ];
}
