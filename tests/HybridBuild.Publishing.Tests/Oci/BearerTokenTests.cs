namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>Copies into and out of a registry:2 that issues Bearer challenges (the Docker token spec).</summary>
[Collection(RegistryCollection.Name)]
public sealed class BearerTokenTests(RegistryFixture registries, TokenRegistryFixture tokenRegistry) : IClassFixture<TokenRegistryFixture>, IDisposable
{
    private readonly HttpClient _sourceApi = RegistryFixture.Client(registries.Source, authenticated: false);
    private readonly OciImageCopier _copier = new(new HttpClient(new RecordingHandler()) { Timeout = Timeout.InfiniteTimeSpan }, RecordingHandler.Policy());

    [Fact]
    public async Task An_image_copied_to_a_token_registry_gets_a_push_token_with_the_credentials_and_keeps_its_digest()
    {
        var repository = TestImages.Repository("bearer");
        var image = await TestImages.PushImageAsync(_sourceApi, repository, "v1");

        var copied = await _copier.CopyAsync(
            new ImageReference(registries.Source, repository, "v1"), null,
            new ImageReference(tokenRegistry.Registry, repository, "v1"), RegistryFixture.Credentials, CancellationToken.None);

        Assert.Equal(image.Manifest.Digest, copied.Digest);
        Assert.Contains(tokenRegistry.Tokens.Requests, r => r.StartsWith($"{RegistryFixture.User}:", StringComparison.Ordinal)
            && r.Contains($"repository:{repository}:pull,push", StringComparison.Ordinal));
        // and back out anonymously: the token service gives anonymous callers pull tokens
        var back = TestImages.Repository("bearer-back");
        var again = await _copier.CopyAsync(
            new ImageReference(tokenRegistry.Registry, repository, "v1"), null,
            new ImageReference(registries.Source, back, "v1"), null, CancellationToken.None);
        Assert.Equal(image.Manifest.Digest, again.Digest);
        Assert.Contains(tokenRegistry.Tokens.Requests, r => r == $"- repository:{repository}:pull");
        foreach (var blob in image.Blobs)
            Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_sourceApi, back, blob.Digest));
    }

    [Fact]
    public async Task A_token_service_refusing_the_password_fails_with_its_message_and_never_the_password()
    {
        var repository = TestImages.Repository("bearer-denied");
        await TestImages.PushImageAsync(_sourceApi, repository, "v1");
        const string wrong = "wrong-token-password-93be";

        var error = await Assert.ThrowsAsync<PublishException>(() => _copier.CopyAsync(
            new ImageReference(registries.Source, repository, "v1"), null,
            new ImageReference(tokenRegistry.Registry, repository, "v1"), new RegistryCredentials(RegistryFixture.User, wrong), CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
        Assert.Contains(tokenRegistry.Registry, error.Message);
        Assert.Contains($"the credentials of user '{RegistryFixture.User}' were not accepted", error.Message);
        Assert.DoesNotContain("incorrect username or password", error.Message); // the token service's own text is not echoed
        Assert.DoesNotContain(wrong, error.ToString());
    }

    public void Dispose() => _sourceApi.Dispose();
}
