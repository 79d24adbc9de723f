using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// A source registry on a loopback port that serves an honest manifest but, for its layer, other bytes of the
/// same length: what a corrupting proxy or a compromised mirror would do. No real registry can be made to.
/// </summary>
public sealed class TamperingSource : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TamperingSource(WebApplication app) => _app = app;

    /// <summary>host:port (loopback, so the copier speaks HTTP to it).</summary>
    public string Registry { get; private set; } = "";

    /// <summary>The digest the manifest names for the layer, which the served bytes do not have.</summary>
    public string LayerDigest { get; private set; } = "";

    public static async Task<TamperingSource> StartAsync()
    {
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var layer = RandomNumberGenerator.GetBytes(50_000);
        var tampered = RandomNumberGenerator.GetBytes(layer.Length);
        var blobs = new Dictionary<string, byte[]> { [TestImages.Digest(config)] = config, [TestImages.Digest(layer)] = tampered };
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = TestImages.OciImage,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = TestImages.Digest(config), size = config.Length },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = TestImages.Digest(layer), size = layer.Length } },
        });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/v2/tampered/manifests/v1", () => Results.Bytes(manifest, TestImages.OciImage));
        app.MapGet("/v2/tampered/blobs/{digest}", (string digest) =>
            blobs.TryGetValue(digest, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        await app.StartAsync();
        return new TamperingSource(app)
        {
            Registry = new Uri(app.Urls.Single()).Authority,
            LayerDigest = TestImages.Digest(layer),
        };
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
