using Docker.DotNet;

namespace HybridBuild.Testing;

/// <summary>Tests that build need a Docker engine: they connect here, or fail saying what is missing and how to point elsewhere.</summary>
public static class DockerCheck
{
    /// <summary>A client for the engine at <paramref name="host"/>, once it has answered a ping.</summary>
    public static async Task<DockerClient> ConnectAsync(string host)
    {
        var docker = new DockerClientBuilder().WithEndpoint(new Uri(host)).Build();
        try
        {
            await docker.System.PingAsync();
            return docker;
        }
        catch (Exception e)
        {
            docker.Dispose();
            throw new InvalidOperationException(
                $"These tests need a Docker engine with BuildKit and the buildx plugin at {host} (set DOCKER_HOST to point elsewhere): {e.Message}", e);
        }
    }
}
