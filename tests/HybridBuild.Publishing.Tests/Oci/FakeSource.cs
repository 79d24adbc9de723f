namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// A source registry on a loopback port for what no real registry can be made to do: serve, for the layer its
/// manifest names, other bytes of the same length (a corrupting proxy, a compromised mirror), or answer every
/// path 503 the first time (a registry under load behind a balancer). Serves repository <c>fake</c>, tag <c>v1</c>.
/// </summary>
public sealed class FakeSource : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HashSet<string> _refusedOnce = [];

    private FakeSource(WebApplication app) => _app = app;

    /// <summary>How many 503s were answered.</summary>
    public int Refusals
    {
        get { lock (_refusedOnce) return _refusedOnce.Count; }
    }

    /// <summary>host:port (loopback, so the copier speaks HTTP to it).</summary>
    public string Registry { get; private set; } = "";

    /// <summary>The digest the manifest names for the layer (which the served bytes miss when tampering).</summary>
    public string LayerDigest { get; private set; } = "";

    public static async Task<FakeSource> StartAsync(bool tamper, bool flaky)
    {
        var layer = RandomNumberGenerator.GetBytes(50_000);
        var (manifest, blobs) = TestImages.OneLayerImage(layer, served: tamper ? RandomNumberGenerator.GetBytes(layer.Length) : null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var source = new FakeSource(app) { LayerDigest = TestImages.Digest(layer) };
        app.Use(async (context, next) =>
        {
            bool first;
            lock (source._refusedOnce) first = flaky && source._refusedOnce.Add($"{context.Request.Method} {context.Request.Path}");
            if (first) context.Response.StatusCode = 503;
            else await next(context);
        });
        app.MapGet("/v2/fake/manifests/v1", () => Results.Bytes(manifest, TestImages.OciImage));
        app.MapGet("/v2/fake/blobs/{digest}", (string digest) =>
            blobs.TryGetValue(digest, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        await app.StartAsync();
        source.Registry = new Uri(app.Urls.Single()).Authority;
        return source;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
