using System.Net.Http.Headers;
using System.Net.Http.Json;
using HybridBuild.Cli.Config;

namespace HybridBuild.Cli.Api;

/// <summary>
/// The service's REST API (<c>/api/v1</c>) as the commands use it. Every error answer becomes a <see cref="ServiceProblem"/>;
/// the API key goes only into the Authorization header.
/// </summary>
internal sealed class ServiceClient : IDisposable
{
    private readonly HttpClient _http;

    public ServiceClient(CliConfig config)
    {
        _http = new HttpClient { BaseAddress = config.Url, Timeout = Timeout.InfiniteTimeSpan };
        if (config.Token is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config.Token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("hbs", typeof(ServiceClient).Assembly.GetName().Version?.ToString(3)));
    }

    /// <summary>Submits a spec; with a context, as multipart (<c>spec</c> and the streamed <c>context</c> tar.gz).</summary>
    public async Task<BuildView> SubmitAsync(BuildSpec spec, HttpContent? context, CancellationToken cancellationToken)
    {
        var json = new StringContent(JsonSerializer.Serialize(spec, CliJson.Options), Encoding.UTF8, "application/json");
        HttpContent body = json;
        if (context is not null)
            body = new MultipartFormDataContent { { json, "spec" }, { context, "context", "context.tar.gz" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/builds") { Content = body };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        return await SendAsync<BuildView>(request, cancellationToken);
    }

    public Task<BuildView> GetBuildAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<BuildView>(new HttpRequestMessage(HttpMethod.Get, $"api/v1/builds/{id}"), cancellationToken);

    public Task<BuildPageView> ListAsync(string? status, int pageSize, CancellationToken cancellationToken) =>
        SendAsync<BuildPageView>(new HttpRequestMessage(HttpMethod.Get,
            $"api/v1/builds?pageSize={pageSize}{(status is null ? "" : "&status=" + Uri.EscapeDataString(status))}"), cancellationToken);

    public Task<BuildView> CancelAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<BuildView>(new HttpRequestMessage(HttpMethod.Post, $"api/v1/builds/{id}/cancel"), cancellationToken);

    public async Task<PublicationView> PublishAsync(Guid id, PublishRequestBody body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/builds/{id}/publications") { Content = JsonContent.Create(body, options: CliJson.Options) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        return await SendAsync<PublicationView>(request, cancellationToken);
    }

    public Task<PublicationView> GetPublicationAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<PublicationView>(new HttpRequestMessage(HttpMethod.Get, $"api/v1/publications/{id}"), cancellationToken);

    /// <summary>A stage's artifacts as one tar.gz (files with their modes), streamed.</summary>
    public Task<HttpResponseMessage> GetStageArchiveAsync(Guid id, string stage, CancellationToken cancellationToken) =>
        OpenAsync(new HttpRequestMessage(HttpMethod.Get, $"api/v1/builds/{id}/artifacts/{Uri.EscapeDataString(stage)}?format=tar.gz"), cancellationToken);

    /// <summary>One artifact file, streamed.</summary>
    public Task<HttpResponseMessage> GetArtifactAsync(Guid id, string stage, string path, CancellationToken cancellationToken) =>
        OpenAsync(new HttpRequestMessage(HttpMethod.Get,
            $"api/v1/builds/{id}/artifacts/{Uri.EscapeDataString(stage)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}"), cancellationToken);

    /// <summary>The plain-text log, whole or followed until the build ends.</summary>
    public Task<HttpResponseMessage> GetTextLogAsync(Guid id, bool follow, CancellationToken cancellationToken) =>
        OpenAsync(new HttpRequestMessage(HttpMethod.Get, $"api/v1/builds/{id}/logs{(follow ? "?follow=true" : "")}"), cancellationToken);

    /// <summary>The log as Server-Sent Events after <paramref name="lastEventId"/>.</summary>
    public Task<HttpResponseMessage> GetEventStreamAsync(Guid id, long lastEventId, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/builds/{id}/logs");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId > 0) request.Headers.Add("Last-Event-ID", lastEventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return OpenAsync(request, cancellationToken);
    }

    /// <summary>Sends and answers the response once its headers are in; the caller reads (and disposes) the body.</summary>
    private async Task<HttpResponseMessage> OpenAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.IsSuccessStatusCode) return response;
            using (response) throw await ServiceProblem.ReadAsync(response, cancellationToken);
        }
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await OpenAsync(request, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(CliJson.Options, cancellationToken)
            ?? throw new InvalidDataException($"The service answered {request.RequestUri} with JSON null.");
    }

    public void Dispose() => _http.Dispose();
}
