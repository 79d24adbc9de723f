namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>The copier's pure parts: references, challenges, manifests and the digest check.</summary>
public sealed class OciPartsTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("localhost:5000/acme/app:1.0", "localhost:5000", "acme/app", "1.0", null, "http://localhost:5000/")]
    [InlineData("ghcr.io/acme/app@" + Digest, "ghcr.io", "acme/app", null, Digest, "https://ghcr.io/")]
    [InlineData("alpine:3", "docker.io", "library/alpine", "3", null, "https://registry-1.docker.io/")]
    [InlineData("acme/app", "docker.io", "acme/app", null, null, "https://registry-1.docker.io/")]
    [InlineData("127.0.0.1:5000/a:b@" + Digest, "127.0.0.1:5000", "a", "b", Digest, "http://127.0.0.1:5000/")]
    public void A_reference_is_read_as_docker_reads_it(string text, string registry, string repository, string? tag, string? digest, string api)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(new ImageReference(registry, repository, tag, digest), reference);
        Assert.Equal(new Uri(api), reference.ApiBase);
    }

    [Theory]
    [InlineData("localhost:5000/Acme/app:1")]
    [InlineData("localhost:5000/acme/app@sha256:short")]
    [InlineData("localhost:5000/acme/../app:1")]
    public void A_malformed_reference_is_refused_naming_it(string text)
    {
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse(text));
        Assert.Contains(text, error.Message);
    }

    [Fact]
    public void A_remote_registry_speaks_https_unless_marked_insecure()
    {
        var reference = ImageReference.Parse("registry.internal:5000/app:1");

        Assert.Equal("https", reference.ApiBase.Scheme);
        Assert.Equal("http", (reference with { Insecure = true }).ApiBase.Scheme);
    }

    [Fact]
    public void A_bearer_challenge_keeps_commas_inside_its_quoted_scope()
    {
        var parameters = AuthChallenge.ParseParameters(
            "realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");

        Assert.Equal("https://auth.example/token", parameters["realm"]);
        Assert.Equal("registry.example", parameters["service"]);
        Assert.Equal("repository:a/b:pull,push", parameters["scope"]);
    }

    [Fact]
    public void Credentials_print_the_user_but_never_the_password()
    {
        var text = new RegistryCredentials("robot", "s3cret-value").ToString();

        Assert.Contains("robot", text);
        Assert.DoesNotContain("s3cret-value", text);
    }

    [Fact]
    public void A_manifest_whose_descriptor_digest_is_not_sha256_is_refused_before_it_reaches_a_url()
    {
        var manifest = Encoding.UTF8.GetBytes("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:../../other/blobs/x","size":2},"layers":[]}
            """);

        var error = Assert.Throws<FormatException>(() => OciManifest.Parse(manifest, null));
        Assert.Contains("sha256:../../other/blobs/x", error.Message);
    }

    [Fact]
    public void A_blob_whose_bytes_do_not_match_its_digest_fails_on_the_read_that_completes_it()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var stream = new VerifyingStream(new MemoryStream(bytes), Digest, bytes.Length);

        var error = Assert.Throws<InvalidDataException>(() => stream.CopyTo(Stream.Null));
        Assert.Contains(Digest, error.Message);
        Assert.False(stream.Verified);
    }

    [Fact]
    public void A_blob_shorter_than_its_descriptor_fails_at_its_end()
    {
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        var stream = new VerifyingStream(new MemoryStream(bytes), digest, 1001);

        var error = Assert.Throws<InvalidDataException>(() => stream.CopyTo(Stream.Null));
        Assert.Contains("1000 of 1001", error.Message);
    }

    [Fact]
    public void A_blob_matching_its_digest_passes_through_verified()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
        var stream = new VerifyingStream(new MemoryStream(bytes), digest, bytes.Length);
        var copy = new MemoryStream();

        stream.CopyTo(copy);

        Assert.True(stream.Verified);
        Assert.Equal(bytes, copy.ToArray());
    }
}
