using System.Net.Http.Headers;

namespace HybridBuild.Application.Notifications;

/// <summary>
/// Sends a notification's request: every connection goes through the outbound policy at connect time (to the addresses
/// it checked, so DNS rebinding cannot slip past), redirects are not followed, and each attempt has a deadline.
/// </summary>
internal sealed class NotificationSender : IDisposable
{
    public const string UserAgent = "HybridBuildService";
    private readonly HttpClient _http;
    private readonly IOptions<NotificationOptions> _options;

    public NotificationSender(OutboundPolicy policy, IOptions<NotificationOptions> options)
    {
        _options = options;
        _http = new HttpClient(new SocketsHttpHandler
        {
            // a redirect could point anywhere, and would carry the token along
            AllowAutoRedirect = false,
            ConnectTimeout = options.Value.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = (context, ct) => policy.ConnectAsync(context.DnsEndPoint, ct),
        }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The answer's status code, and null when it is a 2xx or else what went wrong (never the request's secrets).</summary>
    public async Task<(int? StatusCode, string? Error)> SendAsync(Notification notification, Action<HttpRequestHeaders> authorize, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Value.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, notification.Url) { Content = new StringContent(notification.Body, Encoding.UTF8, "application/json") };
        request.Headers.UserAgent.ParseAdd(UserAgent);
        authorize(request.Headers);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var code = (int)response.StatusCode;
            return (code, response.IsSuccessStatusCode ? null : $"the receiver answered {code} {response.ReasonPhrase}");
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {_options.Value.Timeout}");
        }
    }

    public void Dispose() => _http.Dispose();
}
