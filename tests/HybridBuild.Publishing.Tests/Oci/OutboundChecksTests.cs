using HybridBuild.Core.Network;

namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// Every host a copy connects to passes the outbound policy first: the source registry, a token realm a challenge
/// names, each redirect; and an upstream error is reported by status and code, never by its body.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class OutboundChecksTests(RegistryFixture registries) : IDisposable
{
    private const string Metadata = "169.254.169.254";
    private const string Marker = "marker-7f3a-upstream-internals";
    private readonly RecordingHandler _recorder = new();
    private readonly HttpClient _targetApi = RegistryFixture.Client(registries.Target, authenticated: true);

    private Task<CopiedImage> CopyAsync(StubRegistry source, string repository, OutboundPolicy? policy = null) =>
        new OciImageCopier(new HttpClient(_recorder, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan }, policy ?? RecordingHandler.Policy(),
                new OciCopyOptions { RetryDelays = [] })
            .CopyAsync(new ImageReference(source.Registry, "stub", "v1"), null, new ImageReference(registries.Target, repository, "v1"),
                RegistryFixture.Credentials, CancellationToken.None);

    private bool Reached(string host) => _recorder.Requests.Any(r => r.Url.Host == host);

    private static async Task<bool> RedirectBlobsAsync(HttpContext context, string to)
    {
        if (!context.Request.Path.StartsWithSegments("/v2/stub/blobs")) return false;
        context.Response.StatusCode = 307;
        context.Response.Headers.Location = to + context.Request.Path.Value![context.Request.Path.Value!.LastIndexOf('/')..];
        await context.Response.CompleteAsync();
        return true;
    }

    [Fact]
    public async Task A_token_realm_at_a_link_local_address_is_refused_naming_it_and_no_connection_is_made_there()
    {
        await using var source = await StubRegistry.StartAsync(async (context, _) =>
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{Metadata}/latest/meta-data/token\",service=\"stub\"";
            await context.Response.CompleteAsync();
            return true;
        });

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyAsync(source, TestImages.Repository("realm")));

        Assert.Contains($"host '{Metadata}' is refused by the outbound policy", error.Message);
        Assert.Contains("a cloud metadata address", error.Message);
        Assert.False(Reached(Metadata));
    }

    [Fact]
    public async Task A_blob_redirected_to_a_link_local_address_is_refused_and_the_redirect_is_not_followed()
    {
        var repository = TestImages.Repository("redirect-metadata");
        await using var source = await StubRegistry.StartAsync((context, _) => RedirectBlobsAsync(context, $"http://{Metadata}/latest/meta-data"));

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyAsync(source, repository));

        Assert.Contains($"host '{Metadata}' is refused by the outbound policy", error.Message);
        Assert.False(Reached(Metadata));
        Assert.Null(await TestImages.GetManifestAsync(_targetApi, repository, "v1"));
    }

    [Fact]
    public async Task A_blob_redirected_to_storage_on_an_allowed_host_is_followed_and_the_copy_completes()
    {
        var repository = TestImages.Repository("redirect-storage");
        await using var source = await StubRegistry.StartAsync((context, stub) => RedirectBlobsAsync(context, $"http://localhost:{stub.Port}/storage"));

        var copied = await CopyAsync(source, repository);

        Assert.Equal(2, copied.BlobsUploaded);
        Assert.Equal(2, _recorder.Requests.Count(r => r.Url.Host == "localhost" && r.Url.AbsolutePath.StartsWith("/storage/", StringComparison.Ordinal)));
        foreach (var digest in source.Blobs.Keys)
            Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_targetApi, repository, digest));
    }

    [Fact]
    public async Task With_an_allow_list_a_redirect_to_a_host_outside_it_is_refused()
    {
        await using var source = await StubRegistry.StartAsync((context, stub) => RedirectBlobsAsync(context, $"http://127.0.0.2:{stub.Port}/storage"));

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyAsync(source, TestImages.Repository("redirect-listed"), RecordingHandler.Policy("localhost", "127.0.0.1")));

        Assert.Contains("host '127.0.0.2' is refused by the outbound policy", error.Message);
        Assert.Contains("Network:AllowedHosts", error.Message);
        Assert.False(Reached("127.0.0.2"));
    }

    [Fact]
    public async Task A_source_registry_outside_the_allow_list_is_refused_before_any_request()
    {
        await using var source = await StubRegistry.StartAsync((_, _) => Task.FromResult(false));

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyAsync(source, TestImages.Repository("listed"), RecordingHandler.Policy("localhost")));

        Assert.Contains("host '127.0.0.1' is refused by the outbound policy", error.Message);
        Assert.Empty(_recorder.Requests);
    }

    [Theory]
    [InlineData("application/json", "{\"errors\":[{\"code\":\"INTERNAL\\u0007_ERROR\",\"message\":\"" + Marker + "\",\"detail\":\"" + Marker + "\"}]}", "HTTP 500 INTERNAL_ERROR")]
    [InlineData("text/html", "<html><body>" + Marker + "</body></html>", "HTTP 500")]
    [InlineData("application/json", "{\"details\":\"" + Marker + "\"}", "HTTP 500")]
    public async Task An_upstream_error_is_reported_by_its_status_and_code_without_its_body(string type, string body, string expected)
    {
        await using var source = await StubRegistry.StartAsync(async (context, _) =>
        {
            context.Response.StatusCode = 500;
            context.Response.ContentType = type;
            await context.Response.WriteAsync(body);
            return true;
        });

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyAsync(source, TestImages.Repository("error-body")));

        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain(Marker, error.ToString());
        Assert.DoesNotContain(Marker, error.ServerMessage ?? "");
        Assert.DoesNotContain('\u0007', error.Message);
    }

    [Fact]
    public async Task An_upstream_error_code_is_clipped()
    {
        var code = new string('C', 5000);
        await using var source = await StubRegistry.StartAsync(async (context, _) =>
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsJsonAsync(new { errors = new[] { new { code } } });
            return true;
        });

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyAsync(source, TestImages.Repository("error-code")));

        Assert.Contains("HTTP 500 CCCC", error.Message);
        Assert.True(error.Message.Length < 400, error.Message);
    }

    public void Dispose()
    {
        _recorder.Dispose();
        _targetApi.Dispose();
    }
}
