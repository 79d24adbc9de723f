using HybridBuild.Core.Network;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Copies an image (a single manifest or a multi-platform index) from one registry to another by digest, so the
/// destination holds byte-identical manifests under the same digest. Each side has its own credentials; blobs the
/// destination has are skipped, which makes a repeated copy cheap and safe. Thread-safe; nothing is held in
/// memory beyond one manifest at a time.
/// </summary>
public sealed partial class OciImageCopier
{
    private readonly OutboundHttp _http;
    private readonly OciCopyOptions _options;
    private readonly ILogger _logger;

    /// <param name="http">
    /// The client for both registries and their token services. Its <see cref="HttpClient.Timeout"/> bounds every
    /// request including a whole layer's upload: use <see cref="Timeout.InfiniteTimeSpan"/> and the token instead.
    /// Its handler must not follow redirects (<c>AllowAutoRedirect = false</c>): the copier follows them itself, so
    /// that <paramref name="network"/> sees every host.
    /// </param>
    /// <param name="network">Checked before every connection: registries, token realms and each redirect's host.</param>
    public OciImageCopier(HttpClient http, OutboundPolicy network, OciCopyOptions? options = null, ILogger<OciImageCopier>? logger = null)
    {
        _http = new OutboundHttp(http, network);
        _options = options ?? new OciCopyOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        if (_options.ChunkSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "ChunkSize must be positive.");
    }

    /// <summary>
    /// Copies <paramref name="source"/> (its digest if it has one, else its tag) to <paramref name="destination"/>,
    /// tagged with the destination's tag (by digest alone when it has none).
    /// </summary>
    /// <exception cref="PublishException">
    /// A registry refused a request or could not be reached, or content did not match its digest; the message names
    /// the registry, the repository and the registry's own error, never a credential.
    /// </exception>
    public async Task<CopiedImage> CopyAsync(
        ImageReference source, RegistryCredentials? sourceCredentials,
        ImageReference destination, RegistryCredentials? destinationCredentials, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        source.Validate(nameof(source));
        destination.Validate(nameof(destination));

        var sameRegistry = string.Equals(source.ApiBase.Authority, destination.ApiBase.Authority, StringComparison.OrdinalIgnoreCase)
            && source.ApiBase.Scheme == destination.ApiBase.Scheme;
        var pull = $"repository:{source.Repository}:pull";
        var sourceClient = new RegistryClient(_http, source, sourceCredentials, [pull], _options.RetryDelays);
        // a mount needs pull on the source repository in the destination's token too
        var destinationScopes = new List<string> { $"repository:{destination.Repository}:pull,push" };
        if (sameRegistry && source.Repository != destination.Repository) destinationScopes.Add(pull);
        var destinationClient = new RegistryClient(_http, destination, destinationCredentials, destinationScopes, _options.RetryDelays);

        var tally = new CopyTally();
        var blobs = new BlobCopier(sourceClient, destinationClient, sameRegistry, _options, tally);
        var top = await ManifestTransfer.GetAsync(sourceClient, source.Reference, _options.MaxManifestBytes, ct);
        if (destination.Digest is not null && destination.Digest != top.Digest)
            throw new ArgumentException($"The destination names digest {destination.Digest} but {source} is {top.Digest}.", nameof(destination));
        LogCopying(_logger, source.ToString(), top.Digest, destination.ToString());

        await CopyReferencedAsync(top, sourceClient, destinationClient, blobs, tally, ct);
        await ManifestTransfer.PutAsync(destinationClient, top, destination.Tag ?? top.Digest, ct);
        tally.ManifestsPushed++;

        var copied = new CopiedImage(destination with { Digest = top.Digest }, top.Digest, top.MediaType,
            tally.ManifestsPushed, tally.BlobsUploaded, tally.BlobsMounted, tally.BlobsSkipped, tally.BytesUploaded);
        LogCopied(_logger, destination.ToString(), top.Digest, copied.BlobsUploaded, copied.BlobsMounted, copied.BlobsSkipped, copied.BytesUploaded);
        return copied;
    }

    /// <summary>Everything a manifest points at, children before parents: a registry refuses a manifest whose references it lacks.</summary>
    private async Task CopyReferencedAsync(OciManifest manifest, RegistryClient source, RegistryClient destination, BlobCopier blobs, CopyTally tally, CancellationToken ct)
    {
        foreach (var blob in manifest.Blobs)
        {
            if (blob.Foreign) continue; // its bytes live at its URLs, not in any registry
            await blobs.CopyAsync(blob, ct);
        }
        foreach (var child in manifest.Children)
        {
            // a manifest in the destination implies its blobs are there: the registry checked them when it was pushed
            if (await ManifestTransfer.ExistsAsync(destination, child.Digest, ct))
            {
                tally.BlobsSkipped++;
                continue;
            }
            var childManifest = await ManifestTransfer.GetAsync(source, child.Digest, _options.MaxManifestBytes, ct);
            await CopyReferencedAsync(childManifest, source, destination, blobs, tally, ct);
            await ManifestTransfer.PutAsync(destination, childManifest, child.Digest, ct);
            tally.ManifestsPushed++;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Copying image {Source} ({Digest}) to {Destination}")]
    private static partial void LogCopying(ILogger logger, string source, string digest, string destination);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copied {Destination} ({Digest}): {Uploaded} blob(s) uploaded, {Mounted} mounted, {Skipped} already there, {Bytes} bytes")]
    private static partial void LogCopied(ILogger logger, string destination, string digest, int uploaded, int mounted, int skipped, long bytes);
}
