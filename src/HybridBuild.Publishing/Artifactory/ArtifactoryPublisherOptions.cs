using System.ComponentModel.DataAnnotations;

namespace HybridBuild.Publishing.Artifactory;

/// <summary>
/// How the Artifactory publisher talks to its servers (section <c>Publishing:Artifactory</c>). Where to publish and
/// with which credentials is per target (<see cref="Core.Abstractions.PublishTarget"/>), not here.
/// </summary>
public sealed record ArtifactoryPublisherOptions
{
    /// <summary>
    /// Files of at least this many bytes are first deployed by checksum (no body); smaller ones are uploaded
    /// directly, as the JFrog CLI does (its default is 10 KiB too).
    /// </summary>
    [Range(0, long.MaxValue)]
    public long ChecksumDeployMinSize { get; set; } = 10 * 1024;

    /// <summary>HTTP requests per deploy step (checksum deploy, upload) before giving up, the first one included.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the first retry; it doubles with each further retry (with jitter).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts, a server's <c>Retry-After</c> included.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one HTTP request may take, body included; a request that times out is retried.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(30);
}
