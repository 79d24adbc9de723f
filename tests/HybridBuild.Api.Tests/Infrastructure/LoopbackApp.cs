using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>A bare Kestrel on a free loopback port answering every request with one handler: the base of the tests' fake receivers.</summary>
public sealed class LoopbackApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackApp(WebApplication app, Uri url) => (_app, Url) = (app, url);

    /// <summary><c>http://127.0.0.1:{port}</c>, without a trailing slash.</summary>
    public Uri Url { get; }

    public static async Task<LoopbackApp> StartAsync(RequestDelegate handle)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handle);
        await app.StartAsync();
        return new LoopbackApp(app, new Uri(app.Urls.Single().TrimEnd('/')));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
