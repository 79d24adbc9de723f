using System.Net.Http.Headers;

namespace HybridBuild.Publishing.Tests.Artifactory;

/// <summary>The test server enforces the contract, so a publisher that breaks it fails the other tests.</summary>
public sealed class ArtifactoryTestServerTests : IAsyncLifetime
{
    private ArtifactoryTestServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await ArtifactoryTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("X-Checksum-Sha1")]
    [InlineData("X-Checksum-Sha256")]
    public async Task A_body_whose_checksum_does_not_match_its_header_is_refused_with_409_and_not_stored(string header)
    {
        var content = ArtifactoryTestKit.RandomBytes(100);
        var wrong = header.EndsWith("Sha1") ? Convert.ToHexStringLower(SHA1.HashData([1])) : Convert.ToHexStringLower(SHA256.HashData([1]));

        using var response = await PutAsync("generic-local/a.bin", content, (header, wrong));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("Checksum policy", await ErrorMessageAsync(response));
        Assert.Empty(_server.Artifacts);
    }

    [Fact]
    public async Task A_checksum_deploy_of_unknown_content_is_answered_404_and_of_known_content_201_with_the_documented_body()
    {
        var content = ArtifactoryTestKit.RandomBytes(100);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));

        using (var unknown = await PutAsync("generic-local/copy.bin", null, ("X-Checksum-Deploy", "true"), ("X-Checksum-Sha256", sha256)))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        _server.AddKnownContent(content);
        using var known = await PutAsync("generic-local/dir/copy.bin;team=core", null, ("X-Checksum-Deploy", "true"), ("X-Checksum-Sha256", sha256));

        Assert.Equal(HttpStatusCode.Created, known.StatusCode);
        using var body = JsonDocument.Parse(await known.Content.ReadAsStringAsync());
        var root = body.RootElement;
        foreach (var field in new[] { "repo", "path", "created", "createdBy", "downloadUri", "mimeType", "size", "checksums", "originalChecksums", "uri" })
            Assert.True(root.TryGetProperty(field, out _), $"the 201 body lacks '{field}'");
        Assert.Equal("generic-local", root.GetProperty("repo").GetString());
        Assert.Equal("/dir/copy.bin", root.GetProperty("path").GetString());
        Assert.Equal("100", root.GetProperty("size").GetString());
        Assert.Equal(sha256, root.GetProperty("checksums").GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(content)), root.GetProperty("checksums").GetProperty("md5").GetString());
        Assert.Equal(["core"], _server.Find("generic-local", "dir/copy.bin")!.Properties["team"]);
    }

    [Fact]
    public async Task A_request_without_credentials_is_answered_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(_server.Url + "/generic-local/a.txt")) { Content = new ByteArrayContent([1]) };

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bad credentials", await ErrorMessageAsync(response));
    }

    [Theory]
    [InlineData("/artifactory/generic-local/a.txt;key=%zz")]
    [InlineData("/artifactory/generic-local/a.txt;key=%C3")]
    [InlineData("/artifactory/generic-local/a b.txt")]
    [InlineData("/artifactory/generic-local/../a.txt")]
    [InlineData("/artifactory/generic-local/a.txt;=value")]
    [InlineData("/artifactory/generic-local")]
    public void Badly_encoded_or_relative_targets_are_refused(string rawTarget) =>
        Assert.False(MatrixTarget.TryParse(rawTarget, ArtifactoryTestServer.ContextPath, out _, out _));

    [Fact]
    public void Matrix_parameters_are_split_on_literal_separators_before_decoding()
    {
        Assert.True(MatrixTarget.TryParse("/artifactory/generic-local;repoProp=1/a%3Bb/c%2B.txt;k%3D=v%2C1,v+2;k%3D=3",
            ArtifactoryTestServer.ContextPath, out var target, out var error), error);

        Assert.Equal("generic-local", target.Repository);
        Assert.Equal("a;b/c+.txt", target.Path);
        Assert.Equal(["v,1", "v 2", "3"], target.Properties["k="]);
        Assert.Equal(["1"], target.Properties["repoProp"]);
    }

    private async Task<HttpResponseMessage> PutAsync(string relative, byte[]? body, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, new Uri(_server.Url + "/" + relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "test-access-token");
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        if (body is not null) request.Content = new ByteArrayContent(body);
        using (request) return await _http.SendAsync(request);
    }

    private static async Task<string?> ErrorMessageAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("errors")[0].GetProperty("message").GetString();
    }
}
