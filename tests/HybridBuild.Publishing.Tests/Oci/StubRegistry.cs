namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// A source registry on a loopback port that misbehaves as a hostile or careless one could: its answers come from
/// the test (a challenge naming any realm, a redirect anywhere, a 500 with any body). It holds one image in
/// repository <c>stub</c>, tag <c>v1</c>, whose blobs can also be served from <c>/storage/{digest}</c>.
/// </summary>
public sealed class StubRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubRegistry(WebApplication app) => _app = app;

    /// <summary>host:port (loopback, so the copier speaks HTTP to it).</summary>
    public string Registry { get; private set; } = "";

    public int Port { get; private set; }

    /// <summary>The image's blobs by digest.</summary>
    public IReadOnlyDictionary<string, byte[]> Blobs { get; private set; } = new Dictionary<string, byte[]>();

    /// <param name="answer">Answers a request itself (returns true), or leaves it to the registry (false).</param>
    public static async Task<StubRegistry> StartAsync(Func<HttpContext, StubRegistry, Task<bool>> answer)
    {
        var (manifest, blobs) = TestImages.OneLayerImage(RandomNumberGenerator.GetBytes(20_000));

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var stub = new StubRegistry(app) { Blobs = blobs };
        app.Use(async (context, next) =>
        {
            if (!await answer(context, stub)) await next(context);
        });
        app.MapGet("/v2/stub/manifests/v1", () => Results.Bytes(manifest, TestImages.OciImage));
        IResult Blob(string digest) => blobs.TryGetValue(digest, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound();
        app.MapGet("/v2/stub/blobs/{digest}", Blob);
        app.MapGet("/storage/{digest}", Blob);
        await app.StartAsync();
        var url = new Uri(app.Urls.Single());
        (stub.Registry, stub.Port) = (url.Authority, url.Port);
        return stub;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
