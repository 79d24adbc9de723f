using Microsoft.AspNetCore.Http;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// A reverse proxy in front of the service that answers 503 (with a load balancer's HTML page and Retry-After) to the
/// requests <c>refuse</c> picks, as a load balancer does while the nodes behind it are replaced; others are passed on
/// and their answers streamed back.
/// </summary>
public sealed class RollingFront : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase) { "Host", "Connection", "Transfer-Encoding", "Keep-Alive" };

    private readonly HttpClient _service;
    private readonly Func<HttpRequest, bool> _refuse;
    private LoopbackApp _app = null!;
    private int _refused;

    private RollingFront(Uri service, Func<HttpRequest, bool> refuse) =>
        (_service, _refuse) = (new HttpClient { BaseAddress = service, Timeout = Timeout.InfiniteTimeSpan }, refuse);

    public Uri Url => _app.Url;

    /// <summary>How many requests were answered 503.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public static async Task<RollingFront> StartAsync(Uri service, Func<HttpRequest, bool> refuse)
    {
        var front = new RollingFront(service, refuse);
        front._app = await LoopbackApp.StartAsync(front.HandleAsync);
        return front;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (_refuse(request))
        {
            Interlocked.Increment(ref _refused);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");
            return;
        }
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path + request.QueryString);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) forward.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers.Where(h => !HopByHop.Contains(h.Key)))
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values)) forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        using var answer = await _service.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers).Where(h => !HopByHop.Contains(h.Key)))
            context.Response.Headers[name] = values.ToArray();
        await using var body = await answer.Content.ReadAsStreamAsync(context.RequestAborted);
        var buffer = new byte[16 * 1024];
        for (int read; (read = await body.ReadAsync(buffer, context.RequestAborted)) > 0;)
        {
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted); // a log stream's events as they come
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _service.Dispose();
    }
}
