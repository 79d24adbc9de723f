using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Solve;

/// <summary>The Docker Engine these tests build on: DOCKER_HOST, else the local socket. Missing, it fails the test (never skips).</summary>
internal static class DockerDaemon
{
    public const string Collection = "native client on the Docker engine";

    public static async Task<BuildKitClient> ConnectAsync(SessionVia sessionVia = SessionVia.Upgrade)
    {
        var client = BuildKitClient.Create(new BuildKitClientOptions { Address = "docker", SessionVia = sessionVia });
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.GetInfoAsync(timeout.Token);
            return client;
        }
        catch (Exception e)
        {
            await client.DisposeAsync();
            throw new InvalidOperationException(
                $"These tests need a Docker Engine with BuildKit at {BuildKitAddress.Parse("docker")} "
                + $"(start one, or set DOCKER_HOST to point at one): {e.Message}", e);
        }
    }

    /// <summary>Solves <paramref name="request"/> on a connection of its own, within <see cref="BuildDeadline"/>.</summary>
    public static async Task<SolveResult> SolveAsync(SolveRequest request, ISolveProgress? progress = null, SessionVia sessionVia = SessionVia.Upgrade)
    {
        await using var client = await ConnectAsync(sessionVia);
        return await client.SolveAsync(request, progress, BuildDeadline());
    }

    /// <summary>A deadline for one build on a small machine; a hang fails the test instead of stalling the run.</summary>
    public static CancellationToken BuildDeadline() => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;
}

[CollectionDefinition(DockerDaemon.Collection)]
public sealed class DockerDaemonCollection;
