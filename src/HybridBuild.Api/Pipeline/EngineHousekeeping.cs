using HybridBuild.BuildKit.Docker;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Pipeline;

/// <summary>A recurring job that removes the images stages kept in the Docker engine once Engine:Docker:KeepImagesFor has passed.</summary>
internal sealed partial class EngineHousekeeping(DockerEngine docker, IOptions<DockerEngineOptions> options, ILogger<EngineHousekeeping> logger)
{
    public const string JobId = "engine-housekeeping";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.Value.KeepImagesFor is not { } keep) return;
        var removed = await docker.PruneBuildImagesAsync(keep, cancellationToken);
        if (removed > 0) LogPruned(removed, keep);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} image tag(s) that builds kept longer than {Keep}")]
    private partial void LogPruned(int count, TimeSpan keep);
}
