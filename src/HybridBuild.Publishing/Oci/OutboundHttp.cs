using HybridBuild.Core.Network;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Every request a copy makes, to a registry, its token realm or wherever they redirect: each host is checked
/// against the <see cref="OutboundPolicy"/> before a connection is made (a registry's challenge or Location header
/// could name 169.254.169.254), and redirects are followed here, not by the handler, so every hop is checked.
/// </summary>
internal sealed class OutboundHttp(HttpClient http, OutboundPolicy network)
{
    /// <summary>Blob downloads commonly redirect once, to storage; more than a few hops is a loop or a trick.</summary>
    public const int MaxRedirects = 5;

    /// <summary>
    /// Sends the request <paramref name="create"/> makes and follows redirects with fresh ones; the Authorization
    /// header goes only to the first request's origin (storage gets a signed URL, never the registry's token).
    /// A request that cannot be sent again (<paramref name="replayable"/> false) returns its redirect unfollowed.
    /// </summary>
    /// <exception cref="PublishException">A host is refused by the outbound policy, or the redirects do not end.</exception>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string what, bool replayable, HttpCompletionOption completion, CancellationToken ct)
    {
        var request = create();
        var origin = request.RequestUri!;
        for (var hops = 0; ; hops++)
        {
            await CheckAsync(request.RequestUri!, what, ct);
            var response = await http.SendAsync(request, completion, ct);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is not { } location || !replayable) return response;
            var (from, authorization, method) = (request.RequestUri!, request.Headers.Authorization, request.Method);
            response.Dispose();
            request.Dispose();
            if (hops == MaxRedirects) throw new PublishException($"{what}: more than {MaxRedirects} redirects, the last from {from.Host}.", null, null);
            var next = new Uri(from, location);
            if (next.Scheme is not ("http" or "https") || from.Scheme == "https" && next.Scheme == "http")
                throw new PublishException($"{what}: {from.Host} redirected to a {Printable.Clip(next.Scheme, 16)} URL; refused.", null, null);

            request = create();
            request.RequestUri = next;
            request.Headers.Authorization = SameOrigin(next, origin) ? authorization : null;
            // as browsers and HttpClient do: 301, 302 and 303 turn a request with a body into a GET; 307 and 308 repeat it
            if (response.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
                && method != HttpMethod.Get && method != HttpMethod.Head)
                (request.Method, request.Content) = (HttpMethod.Get, null);
        }
    }

    /// <exception cref="PublishException">The policy refuses the URL's host.</exception>
    public async Task CheckAsync(Uri url, string what, CancellationToken ct)
    {
        if (await network.CheckAsync(url.Host, ct) is { } refused)
            throw new PublishException($"{what}: host '{url.Host}' is refused by the outbound policy: the URL {refused}.", null, null);
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Authority, b.Authority, StringComparison.OrdinalIgnoreCase);
}
