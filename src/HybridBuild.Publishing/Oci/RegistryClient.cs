using System.Text;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Requests to one repository of one registry, authenticated as the registry asks: on a 401 it reads the
/// challenge and answers it (Basic with the credentials, or a Bearer token from the realm per the Docker token
/// spec, with the credentials or anonymously), then repeats the request once. One per copy and repository side;
/// not thread-safe.
/// </summary>
internal sealed class RegistryClient
{
    private readonly OutboundHttp _http;
    private readonly RegistryCredentials? _credentials;
    private readonly IReadOnlyList<string> _scopes;
    private readonly IReadOnlyList<TimeSpan> _retryDelays;
    private AuthenticationHeaderValue? _authorization;

    /// <param name="scopes">Token scopes to ask for besides the challenge's, e.g. pull on the mount source.</param>
    public RegistryClient(OutboundHttp http, ImageReference image, RegistryCredentials? credentials, IReadOnlyList<string> scopes, IReadOnlyList<TimeSpan> retryDelays)
    {
        _retryDelays = retryDelays;
        _http = http;
        _credentials = credentials;
        _scopes = scopes;
        Registry = image.Registry;
        Repository = image.Repository;
        ApiBase = image.ApiBase;
    }

    public string Registry { get; }
    public string Repository { get; }
    public Uri ApiBase { get; }

    /// <summary>Why a 401 might have happened, for error messages: whose credentials were refused, or that there were none.</summary>
    public string AuthHint => _credentials is null
        ? "no credentials are configured for this registry"
        : $"the credentials of user '{_credentials.Username}' were not accepted";

    /// <summary>A URL under <c>/v2/&lt;repository&gt;/</c>; <paramref name="path"/> is built from checked digests and tags only.</summary>
    public Uri Url(string path) => new(ApiBase, $"v2/{Repository}/{path}");

    /// <summary>Resolves a registry's <c>Location</c> header, which may be relative to the API root.</summary>
    public Uri Resolve(Uri location) => location.IsAbsoluteUri ? location : new Uri(ApiBase, location);

    /// <summary>
    /// Sends a request made by <paramref name="create"/>; when it is refused with a challenge the client can
    /// answer, authenticates and sends a fresh one. A request whose body can be sent only once must come after
    /// one that authenticated (the upload's POST does that).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string what, CancellationToken ct, bool replayable = true)
    {
        var response = await SendRetryingAsync(create, what, ct, replayable);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !replayable) return response;
        var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);
        if (challenge is null || !await AnswerAsync(challenge, what, ct)) return response;
        response.Dispose();
        return await SendRetryingAsync(create, what, ct, replayable);
    }

    /// <summary>
    /// Repeats a replayable request after a connection failure or a 429/502/503/504 (registries behind load
    /// balancers and CDNs answer those under load), waiting <see cref="OciCopyOptions.RetryDelays"/> between tries.
    /// </summary>
    private async Task<HttpResponseMessage> SendRetryingAsync(Func<HttpRequestMessage> create, string what, CancellationToken ct, bool replayable)
    {
        for (var attempt = 0; ; attempt++)
        {
            var last = !replayable || attempt >= _retryDelays.Count;
            try
            {
                var response = await _http.SendAsync(() =>
                {
                    var request = create();
                    request.Headers.Authorization = _authorization;
                    return request;
                }, what, replayable, HttpCompletionOption.ResponseHeadersRead, ct);
                if (last || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                        or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
                    return response;
                response.Dispose();
            }
            catch (HttpRequestException e) when (!IsBadContent(e))
            {
                if (last)
                    throw new PublishException($"{what}: registry {Registry} (repository {Repository}) could not be reached: {e.Message}", null, null, e);
            }
            await Task.Delay(_retryDelays[attempt], ct);
        }
    }

    /// <summary>True when there is something new to send; false when the challenge cannot be answered.</summary>
    private async Task<bool> AnswerAsync(AuthChallenge challenge, string what, CancellationToken ct)
    {
        if (challenge.IsBasic)
        {
            // a second Basic challenge after sending the credentials means they were refused: nothing new to try
            if (_credentials is null || _authorization?.Scheme == "Basic") return false;
            _authorization = new AuthenticationHeaderValue("Basic", BasicValue(_credentials));
            return true;
        }
        if (!challenge.IsBearer || challenge["realm"] is not { } realm) return false;
        var token = await TokenSource.FetchAsync(_http, this, realm, challenge["service"], Scopes(challenge["scope"]), _credentials, what, ct);
        _authorization = new AuthenticationHeaderValue("Bearer", token);
        return true;
    }

    private IReadOnlyList<string> Scopes(string? challenged)
    {
        // a challenge names one scope (or several, space-separated); ours add what later requests will need
        var scopes = new List<string>();
        if (challenged is not null) scopes.AddRange(challenged.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        scopes.AddRange(_scopes.Where(s => !scopes.Contains(s)));
        return scopes;
    }

    /// <summary>A blob that failed its digest check mid-upload surfaces wrapped in the send's exception; it is not a network failure.</summary>
    internal static bool IsBadContent(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is InvalidDataException) return true;
        return false;
    }

    internal static string BasicValue(RegistryCredentials credentials) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}"));
}
