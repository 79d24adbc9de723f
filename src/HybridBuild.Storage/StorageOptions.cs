namespace HybridBuild.Storage;

/// <summary>How artifact downloads reach clients.</summary>
public enum DownloadMode
{
    /// <summary>The API node streams the bytes.</summary>
    Stream,

    /// <summary>The API node answers 307 to a short-lived presigned URL (S3) or SAS (Azure); stores without one stream.</summary>
    Redirect,
}

/// <summary>"Storage": the provider is chosen in AddHybridBuildStorage; these settings hold for every provider.</summary>
public sealed record StorageOptions
{
    public DownloadMode Downloads { get; init; } = DownloadMode.Stream;

    /// <summary>How long a redirect's URL works; a client that follows it at once needs seconds.</summary>
    public TimeSpan DownloadUrlLifetime { get; init; } = TimeSpan.FromMinutes(5);
}
