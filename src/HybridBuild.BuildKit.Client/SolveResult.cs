namespace HybridBuild.BuildKit.Client;

/// <summary>What a finished build reported.</summary>
/// <param name="ExporterResponse">Everything the exporters returned (<c>containerimage.digest</c>, <c>image.name</c>, ...).</param>
public sealed record SolveResult(IReadOnlyDictionary<string, string> ExporterResponse)
{
    /// <summary>The image's digest (manifest or index), or for the Docker store the image id; null when no image was exported.</summary>
    public string? ImageDigest => ExporterResponse.GetValueOrDefault("containerimage.digest");

    /// <summary>The image configuration's digest, when an image was exported.</summary>
    public string? ConfigDigest => ExporterResponse.GetValueOrDefault("containerimage.config.digest");
}
