using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace HybridBuild.BuildKit.Docker;

/// <summary>What the Docker engine said about itself.</summary>
public sealed record DockerEngineInfo(string Version, string ApiVersion, string Os, string Architecture, string ImageStore);

/// <summary>The Docker Engine API, for what the CLI is the wrong tool for: probing the engine and removing images.</summary>
public sealed class DockerEngine : IEngineMaintenance, IDisposable
{
    private readonly DockerClient _client;
    private readonly IOptions<DockerEngineOptions> _options;
    private readonly ILogger<DockerEngine> _logger;

    public DockerEngine(IOptions<DockerEngineOptions> options, ILogger<DockerEngine> logger)
    {
        _client = new DockerClientBuilder().WithEndpoint(new Uri(options.Value.ResolvedHost)).Build();
        _options = options;
        _logger = logger;
    }

    /// <summary>Removes the images stages kept once Engine:Docker:KeepImagesFor has passed (nothing when it is not set).</summary>
    public Task<int> PruneAsync(CancellationToken cancellationToken) =>
        _options.Value.KeepImagesFor is { } keep ? PruneBuildImagesAsync(keep, cancellationToken) : Task.FromResult(0);

    public async Task<DockerEngineInfo> DescribeAsync(CancellationToken cancellationToken)
    {
        var version = await _client.System.GetVersionAsync(cancellationToken);
        var info = await _client.System.GetSystemInfoAsync(cancellationToken);
        return new DockerEngineInfo(version.Version, version.APIVersion, version.Os, version.Arch, ImageStore(info));
    }

    /// <summary>Removes an image tag the service created; a tag that is already gone is fine.</summary>
    public async Task RemoveImageAsync(string reference, CancellationToken cancellationToken)
    {
        try
        {
            await _client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = false, NoPrune = false }, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
        }
        catch (DockerApiException e)
        {
            _logger.LogWarning("The engine kept image {Reference}: {Error}", reference, e.ResponseBody);
        }
    }

    /// <summary>Removes unused images that stages produced and that are older than <paramref name="olderThan"/>; returns how many.</summary>
    public async Task<int> PruneBuildImagesAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [EngineLabels.BuildId] = true },
            ["until"] = new Dictionary<string, bool> { [$"{(long)olderThan.TotalSeconds}s"] = true },
            ["dangling"] = new Dictionary<string, bool> { ["false"] = true },
        };
        var pruned = await _client.Images.PruneImagesAsync(new ImagesPruneParameters { Filters = filters }, cancellationToken);
        return pruned.ImagesDeleted?.Count(d => d.Untagged is not null) ?? 0;
    }

    private static string ImageStore(SystemInfoResponse info)
    {
        var driverType = info.DriverStatus?.FirstOrDefault(s => s.Length == 2 && s[0] == "driver-type")?[1];
        return driverType == "io.containerd.snapshotter.v1" ? "containerd" : $"classic ({info.Driver})";
    }

    public void Dispose() => _client.Dispose();
}
