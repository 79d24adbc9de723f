using HybridBuild.Core.Configuration;
using Microsoft.Extensions.Options;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Publishes a pushed image to an <c>oci</c> target by copying it by digest: the source is read with the service's
/// registry credentials (Engine:Registries), the target written with its own.
/// </summary>
internal sealed class OciImagePublisher(OciImageCopier copier, IOptions<RegistryOptions> registries) : IImagePublisher
{
    public async Task<string> CopyAsync(PublishTarget target, string source, string digest, string destination, CancellationToken cancellationToken)
    {
        ImageReference from, to;
        try
        {
            from = ImageReference.Parse(source) with { Tag = null, Digest = digest };
            var repository = string.IsNullOrEmpty(target.Repository) ? "" : target.Repository.Trim('/') + "/";
            to = ImageReference.Parse($"{target.Url.Authority}/{repository}{destination}") with { Insecure = target.Url.Scheme == "http" };
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new PublishException($"the image reference is not valid: {e.Message}", null, null, e);
        }
        var copied = await copier.CopyAsync(from, SourceCredentials(from.Registry), to, TargetCredentials(target), cancellationToken);
        return $"{to.Registry}/{to.Repository}@{copied.Digest}";
    }

    private RegistryCredentials? SourceCredentials(string registry) =>
        registries.Value.For(registry) is { } entry ? new(entry.Username, entry.ResolvePassword()) : null;

    private static RegistryCredentials? TargetCredentials(PublishTarget target) =>
        target.Credentials is { IsToken: false, Username: { } user } c ? new(user, c.Password ?? "") : null;
}
