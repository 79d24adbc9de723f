using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using HybridBuild.Cli.Config;

namespace HybridBuild.Cli.Api;

/// <summary>
/// The service's REST API (<c>/api/v1</c>) as the commands use it. Every error answer becomes a <see cref="ServiceProblem"/>;
/// the API key goes only into the Authorization header. A request that can be sent again (a read, a cancel, a JSON
/// submission or publication under its idempotency key, but not a streamed context) is, for up to <see cref="RetryFor"/>,
/// while the service cannot be reached or answers 429, 502, 503 or 504: a rolling update or a restarting node does not
/// end a command whose build goes on.
/// </summary>
internal sealed class ServiceClient : IDisposable
{
    public static readonly TimeSpan RetryFor = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public ServiceClient(CliConfig config)
    {
        _http = new HttpClient { BaseAddress = config.Url, Timeout = Timeout.InfiniteTimeSpan };
        if (config.Token is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config.Token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("hbs", typeof(ServiceClient).Assembly.GetName().Version?.ToString(3)));
    }

    /// <summary>Submits a spec; with a context, as multipart (<c>spec</c> and the streamed <c>context</c> tar.gz), sent once.</summary>
    public async Task<BuildView> SubmitAsync(BuildSpec spec, HttpContent? context, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(spec, CliJson.Options);
        var key = Guid.NewGuid().ToString(); // the same on each try: the service answers a repeat with the build it made
        return await SendAsync<BuildView>(() =>
        {
            HttpContent body = new StringContent(json, Encoding.UTF8, "application/json");
            if (context is not null)
                body = new MultipartFormDataContent { { body, "spec" }, { context, "context", "context.tar.gz" } };
            var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/builds") { Content = body };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }, retry: context is null, cancellationToken);
    }

    public Task<BuildView> GetBuildAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<BuildView>(Get($"api/v1/builds/{id}"), retry: true, cancellationToken);

    public Task<BuildPageView> ListAsync(string? status, int pageSize, CancellationToken cancellationToken) =>
        SendAsync<BuildPageView>(Get($"api/v1/builds?pageSize={pageSize}{(status is null ? "" : "&status=" + Uri.EscapeDataString(status))}"),
            retry: true, cancellationToken);

    /// <summary>Asks for the build's cancel; asked again, the service keeps the first request's time.</summary>
    public Task<BuildView> CancelAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<BuildView>(() => new HttpRequestMessage(HttpMethod.Post, $"api/v1/builds/{id}/cancel"), retry: true, cancellationToken);

    public Task<PublicationView> PublishAsync(Guid id, PublishRequestBody body, CancellationToken cancellationToken)
    {
        var key = Guid.NewGuid().ToString();
        return SendAsync<PublicationView>(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/builds/{id}/publications") { Content = JsonContent.Create(body, options: CliJson.Options) };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }, retry: true, cancellationToken);
    }

    public Task<PublicationView> GetPublicationAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<PublicationView>(Get($"api/v1/publications/{id}"), retry: true, cancellationToken);

    /// <summary>A stage's artifacts as one tar.gz (files with their modes), streamed.</summary>
    public Task<HttpResponseMessage> GetStageArchiveAsync(Guid id, string stage, CancellationToken cancellationToken) =>
        OpenAsync(Get($"api/v1/builds/{id}/artifacts/{Uri.EscapeDataString(stage)}?format=tar.gz"), retry: true, cancellationToken);

    /// <summary>One artifact file, streamed.</summary>
    public Task<HttpResponseMessage> GetArtifactAsync(Guid id, string stage, string path, CancellationToken cancellationToken) =>
        OpenAsync(Get($"api/v1/builds/{id}/artifacts/{Uri.EscapeDataString(stage)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}"),
            retry: true, cancellationToken);

    /// <summary>The plain-text log, whole or followed until the build ends.</summary>
    public Task<HttpResponseMessage> GetTextLogAsync(Guid id, bool follow, CancellationToken cancellationToken) =>
        OpenAsync(Get($"api/v1/builds/{id}/logs{(follow ? "?follow=true" : "")}"), retry: true, cancellationToken);

    /// <summary>The log as Server-Sent Events after <paramref name="lastEventId"/>.</summary>
    public Task<HttpResponseMessage> GetEventStreamAsync(Guid id, long lastEventId, CancellationToken cancellationToken) =>
        OpenAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/builds/{id}/logs");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (lastEventId > 0) request.Headers.Add("Last-Event-ID", lastEventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return request;
        }, retry: true, cancellationToken);

    private static Func<HttpRequestMessage> Get(string path) => () => new HttpRequestMessage(HttpMethod.Get, path);

    /// <summary>
    /// Sends (a request made afresh by <paramref name="create"/> for each try) and answers the response once its headers
    /// are in; the caller reads (and disposes) the body.
    /// </summary>
    private async Task<HttpResponseMessage> OpenAsync(Func<HttpRequestMessage> create, bool retry, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + RetryFor;
        var backoff = MinRetryDelay;
        while (true)
        {
            string why;
            var wait = backoff;
            using (var request = create())
            {
                try
                {
                    var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    if (response.IsSuccessStatusCode) return response;
                    using (response)
                    {
                        // the service's Retry-After (a delay or a date) when it asks for longer than the back-off
                        var asked = response.Headers.RetryAfter is { } after ? after.Delta ?? after.Date - DateTimeOffset.UtcNow : null;
                        if (asked > wait) wait = asked.Value < MaxRetryDelay ? asked.Value : MaxRetryDelay;
                        if (!retry || !Transient(response.StatusCode) || DateTime.UtcNow + wait > deadline)
                            throw await ServiceProblem.ReadAsync(response, cancellationToken);
                        why = $"the service answered {(int)response.StatusCode} {response.ReasonPhrase}";
                    }
                }
                catch (HttpRequestException e) when (retry && Unreachable(e) && DateTime.UtcNow + wait <= deadline && !cancellationToken.IsCancellationRequested)
                {
                    why = $"the service could not be reached ({e.Message})";
                }
            }
            Console.Error.WriteLine($"hbs: {why}; trying again in {wait.TotalSeconds:0.#}s");
            await Task.Delay(wait, cancellationToken);
            backoff = backoff * 2 < MaxRetryDelay ? backoff * 2 : MaxRetryDelay;
        }
    }

    /// <summary>Refused or cut connections come and go with a rolling update; a name that does not resolve or a TLS failure is a mistake to report at once.</summary>
    private static bool Unreachable(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded or HttpRequestError.Unknown;

    private static bool Transient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private async Task<T> SendAsync<T>(Func<HttpRequestMessage> create, bool retry, CancellationToken cancellationToken)
    {
        using var response = await OpenAsync(create, retry, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(CliJson.Options, cancellationToken)
            ?? throw new InvalidDataException($"The service answered {response.RequestMessage?.RequestUri} with JSON null.");
    }

    public void Dispose() => _http.Dispose();
}
