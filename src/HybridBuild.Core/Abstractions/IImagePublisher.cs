namespace HybridBuild.Core.Abstractions;

/// <summary>
/// Copies an image a build pushed, by digest, to a registry target (a publication's <c>oci</c> target). The source's
/// credentials are the service's registry credentials; the target's are its own.
/// </summary>
public interface IImagePublisher
{
    /// <param name="source">The pushed image: a reference (its tag is ignored) and the digest to copy.</param>
    /// <param name="destination">Repository and tag under the target, e.g. <c>team/app:1.2</c>.</param>
    /// <returns>The copied image's reference by digest at the target.</returns>
    /// <exception cref="PublishException">The copy failed; the message names the registry and never a credential.</exception>
    Task<string> CopyAsync(PublishTarget target, string source, string digest, string destination, CancellationToken cancellationToken);
}
