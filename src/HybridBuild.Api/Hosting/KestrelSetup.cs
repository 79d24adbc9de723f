using HybridBuild.Api.Problems;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HybridBuild.Api.Hosting;

/// <summary>
/// Kestrel's request limits, set here rather than left to defaults that may change between releases, and the header
/// decoding that lets a non-ASCII header reach the service (to be refused as a problem) instead of Kestrel's empty 400,
/// and problems for what Kestrel itself refuses (<see cref="ConnectionRejections"/>).
/// </summary>
internal static class KestrelSetup
{
    /// <summary>The body limit of every endpoint that does not lift it; build submissions bound their context by Limits:MaxArchiveBytes.</summary>
    public const long MaxRequestBodyBytes = 8L << 20;

    /// <summary>32 KiB of headers in all: an API key, an Idempotency-Key (255 chars) and a browser's cookies fit many times over.</summary>
    public const int MaxRequestHeaderBytes = 32 * 1024;

    /// <summary>100 headers: clients send a dozen; more is an attempt to make the server index and hold them.</summary>
    public const int MaxRequestHeaders = 100;

    /// <summary>8 KiB of request line: the longest route (an artifact path) plus its query; paths beyond that are not artifacts we store.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>30 s to send the headers: a slow-loris client holds a connection no longer than that.</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddHybridBuildKestrel(this IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            // Latin-1 maps every byte to one char, so UTF-8 bytes in a header (an Idempotency-Key of 'ключ') arrive as
            // non-ASCII chars that the service's own checks refuse with a problem naming the header
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
            // what Kestrel refuses before the service runs (a %00 in the path, a request line over the limit) is answered
            // as a problem too, not with its bare status
            kestrel.ConfigureEndpointDefaults(ConnectionRejections.Use);
            var limits = kestrel.Limits;
            limits.MaxRequestHeadersTotalSize = MaxRequestHeaderBytes;
            limits.MaxRequestHeaderCount = MaxRequestHeaders;
            limits.MaxRequestLineSize = MaxRequestLineBytes;
            limits.RequestHeadersTimeout = RequestHeadersTimeout;
            // at least 240 B/s after a 5 s grace: a context upload may be slow, but not a trickle that holds a connection for hours
            limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            // 8 MiB for a JSON body (a build spec is at most 4 MiB); the multipart submission lifts this for its context
            limits.MaxRequestBodySize = MaxRequestBodyBytes;
            // 4 MiB of response may wait in a connection's pipe (not 64 KiB): a download reads its next chunk from the
            // blob while the last one goes out, instead of waiting for the socket to drain after every flush
            limits.MaxResponseBufferSize = 4L << 20;
        });
}
