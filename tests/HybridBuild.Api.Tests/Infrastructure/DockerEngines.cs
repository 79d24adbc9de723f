namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// The two independent Docker engines the pool and several-node tests build on: this machine's (DOCKER_HOST, or the
/// local socket) and a second one (HYBRIDBUILD_TEST_SECOND_DOCKER, a unix socket path; /var/run/docker-2.sock by default)
/// with busybox in its image store.
/// </summary>
public static class DockerEngines
{
    public static string First =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host && host.StartsWith("unix://") ? host["unix://".Length..] : "/var/run/docker.sock";

    public static string Second()
    {
        var socket = Environment.GetEnvironmentVariable("HYBRIDBUILD_TEST_SECOND_DOCKER") is { Length: > 0 } given ? given : "/var/run/docker-2.sock";
        if (!File.Exists(socket))
            throw new InvalidOperationException($"These tests need a second Docker engine (with busybox) at {socket}, or HYBRIDBUILD_TEST_SECOND_DOCKER "
                + "set to the unix socket of one: builders and worker nodes are tested on two independent daemons.");
        return socket;
    }

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
