namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>Copies between two real registry:2 instances, the target behind htpasswd authentication.</summary>
[Collection(RegistryCollection.Name)]
public sealed class OciImageCopierTests(RegistryFixture registries) : IDisposable
{
    private readonly RecordingHandler _recorder = new();
    private readonly HttpClient _sourceApi = RegistryFixture.Client(registries.Source, authenticated: false);
    private readonly HttpClient _targetApi = RegistryFixture.Client(registries.Target, authenticated: true);

    private OciImageCopier Copier(OciCopyOptions? options = null) =>
        new(new HttpClient(_recorder, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan }, RecordingHandler.Policy(), options);

    /// <summary>Copies <paramref name="source"/> to <paramref name="repository"/>:<paramref name="tag"/> on the password-protected target, with its password.</summary>
    private Task<CopiedImage> CopyToTargetAsync(ImageReference source, string repository, string tag, OciCopyOptions? options = null) =>
        Copier(options).CopyAsync(source, null, new ImageReference(registries.Target, repository, tag), RegistryFixture.Credentials, CancellationToken.None);

    [Fact]
    public async Task An_image_copied_to_the_password_protected_registry_has_the_same_digest_and_its_blobs_are_there()
    {
        var repository = TestImages.Repository("single");
        var image = await TestImages.PushImageAsync(_sourceApi, repository, "v1");

        var copied = await CopyToTargetAsync(new ImageReference(registries.Source, repository, "v1"), "released/app", "1.0");

        Assert.Equal(image.Manifest.Digest, copied.Digest);
        Assert.Equal(image.Manifest.Digest, copied.Destination.Digest);
        var source = await TestImages.GetManifestAsync(_sourceApi, repository, "v1");
        var target = await TestImages.GetManifestAsync(_targetApi, "released/app", "1.0");
        Assert.NotNull(target);
        Assert.Equal(source!.Value.Bytes, target.Value.Bytes);
        Assert.Equal(image.Manifest.Digest, target.Value.DigestHeader);
        foreach (var blob in image.Blobs)
            Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_targetApi, "released/app", blob.Digest));
        Assert.Equal(image.Blobs.Count, copied.BlobsUploaded);
        Assert.Equal(image.Blobs.Sum(b => b.Size), copied.BytesUploaded);
        // the target really is protected: the same HEAD without the password is refused
        using var anonymous = RegistryFixture.Client(registries.Target, authenticated: false);
        Assert.Equal(HttpStatusCode.Unauthorized, await TestImages.HeadBlobAsync(anonymous, "released/app", image.Blobs[0].Digest));
    }

    [Fact]
    public async Task An_index_with_two_platforms_is_copied_whole()
    {
        var repository = TestImages.Repository("multi");
        var index = await TestImages.PushIndexAsync(_sourceApi, repository, "multi");
        var destination = TestImages.Repository("multi-copy");

        var copied = await Copier().CopyAsync(
            ImageReference.Parse($"{registries.Source}/{repository}:multi"), null,
            ImageReference.Parse($"{registries.Target}/{destination}:multi"), RegistryFixture.Credentials, CancellationToken.None);

        Assert.Equal(index.Manifest.Digest, copied.Digest);
        Assert.Equal(TestImages.OciIndex, copied.MediaType);
        Assert.Equal(3, copied.ManifestsPushed);
        var top = await TestImages.GetManifestAsync(_targetApi, destination, "multi");
        Assert.Equal(index.Manifest.Digest, TestImages.Digest(top!.Value.Bytes));
        foreach (var child in index.Children)
        {
            var manifest = await TestImages.GetManifestAsync(_targetApi, destination, child.Digest);
            Assert.True(manifest is not null, $"child manifest {child.Digest} is missing from the target");
            Assert.Equal(child.Digest, TestImages.Digest(manifest.Value.Bytes));
        }
        foreach (var blob in index.Blobs)
            Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_targetApi, destination, blob.Digest));
    }

    [Fact]
    public async Task A_docker_v2_manifest_list_is_copied_whole_with_its_docker_media_types()
    {
        var repository = TestImages.Repository("docker-list");
        var list = await TestImages.PushIndexAsync(_sourceApi, repository, "v2", docker: true);

        var copied = await CopyToTargetAsync(new ImageReference(registries.Source, repository, "v2"), repository, "v2");

        Assert.Equal(list.Manifest.Digest, copied.Digest);
        Assert.Equal(TestImages.DockerList, copied.MediaType);
        foreach (var child in list.Children)
            Assert.Equal(child.Digest, TestImages.Digest((await TestImages.GetManifestAsync(_targetApi, repository, child.Digest))!.Value.Bytes));
        foreach (var blob in list.Blobs)
            Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_targetApi, repository, blob.Digest));
    }

    [Fact]
    public async Task An_artifact_with_an_empty_blob_is_copied_with_its_digest()
    {
        var repository = TestImages.Repository("empty");
        var config = await TestImages.PushBlobAsync(_sourceApi, repository, "{}"u8.ToArray(), "application/vnd.oci.empty.v1+json");
        var empty = await TestImages.PushBlobAsync(_sourceApi, repository, [], "application/vnd.hybridbuild.marker");
        var manifest = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = TestImages.OciImage,
            artifactType = "application/vnd.hybridbuild.marker",
            config = new { mediaType = config.MediaType, digest = config.Digest, size = config.Size },
            layers = new[] { new { mediaType = empty.MediaType, digest = empty.Digest, size = empty.Size } },
        });
        var pushed = await TestImages.PushManifestAsync(_sourceApi, repository, "v1", manifest, TestImages.OciImage);

        var copied = await CopyToTargetAsync(new ImageReference(registries.Source, repository, "v1"), repository, "v1");

        Assert.Equal(pushed.Digest, copied.Digest);
        Assert.Equal(2, copied.BlobsUploaded);
        Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_targetApi, repository, empty.Digest));
    }

    [Fact]
    public async Task A_wrong_password_fails_with_the_registrys_401_and_never_shows_the_password()
    {
        var repository = TestImages.Repository("denied");
        await TestImages.PushImageAsync(_sourceApi, repository, "v1");
        const string wrong = "not-the-password-5f1c";

        var error = await Assert.ThrowsAsync<PublishException>(() => Copier().CopyAsync(
            new ImageReference(registries.Source, repository, "v1"), null,
            new ImageReference(registries.Target, "denied/app", "1"), new RegistryCredentials(RegistryFixture.User, wrong), CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
        Assert.Contains(registries.Target, error.Message);
        Assert.Contains("denied/app", error.Message);
        Assert.Contains("UNAUTHORIZED", error.Message);
        Assert.Contains($"credentials of user '{RegistryFixture.User}' were not accepted", error.Message);
        Assert.DoesNotContain(wrong, error.ToString());
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{RegistryFixture.User}:{wrong}")), error.ToString());
    }

    [Fact]
    public async Task Copying_again_is_idempotent_and_uploads_no_blob_the_destination_has()
    {
        var repository = TestImages.Repository("again");
        var image = await TestImages.PushImageAsync(_sourceApi, repository, "v1");
        var source = new ImageReference(registries.Source, repository, "v1");
        var destination = new ImageReference(registries.Target, repository, "v1");
        var first = await Copier().CopyAsync(source, null, destination, RegistryFixture.Credentials, CancellationToken.None);
        var uploadsAfterFirst = _recorder.Count(HttpMethod.Post, "/blobs/uploads/");

        var second = await Copier().CopyAsync(source, null, destination, RegistryFixture.Credentials, CancellationToken.None);

        Assert.Equal(image.Blobs.Count, uploadsAfterFirst);
        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(0, second.BlobsUploaded);
        Assert.Equal(image.Blobs.Count, second.BlobsSkipped);
        Assert.Equal(uploadsAfterFirst, _recorder.Count(HttpMethod.Post, "/blobs/uploads/"));
        Assert.Equal(image.Manifest.Digest, (await TestImages.GetManifestAsync(_targetApi, repository, "v1"))!.Value.DigestHeader);
    }

    [Fact]
    public async Task A_missing_source_tag_fails_naming_the_tag_the_registry_and_the_repository()
    {
        var repository = TestImages.Repository("missing");
        await TestImages.PushImageAsync(_sourceApi, repository, "v1");

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyToTargetAsync(new ImageReference(registries.Source, repository, "no-such-tag"), repository, "v1"));

        Assert.Equal(404, error.StatusCode);
        Assert.Contains("'no-such-tag'", error.Message);
        Assert.Contains(registries.Source, error.Message);
        Assert.Contains(repository, error.Message);
        Assert.Contains("MANIFEST_UNKNOWN", error.Message);
    }

    [Fact]
    public async Task A_layer_larger_than_the_chunk_size_goes_in_chunks_and_keeps_its_digest()
    {
        var repository = TestImages.Repository("chunked");
        var image = await TestImages.PushImageAsync(_sourceApi, repository, "v1", "amd64", 300_000);

        var copied = await CopyToTargetAsync(new ImageReference(registries.Source, repository, "v1"), repository, "v1", new OciCopyOptions { ChunkSize = 64 * 1024 });

        Assert.Equal(image.Manifest.Digest, copied.Digest);
        // random bytes do not compress: the gzip layer is about 300 KB, five 64 KiB chunks or more
        Assert.True(_recorder.Count(HttpMethod.Patch, "/blobs/uploads/") >= 5, $"{_recorder.Count(HttpMethod.Patch, "/blobs/uploads/")} PATCH requests");
        foreach (var blob in image.Blobs)
            Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_targetApi, repository, blob.Digest));
    }

    [Fact]
    public async Task A_copy_within_one_registry_mounts_the_blobs_instead_of_sending_them()
    {
        var repository = TestImages.Repository("mount-from");
        var image = await TestImages.PushImageAsync(_sourceApi, repository, "v1");
        var destination = TestImages.Repository("mount-to");

        var copied = await Copier().CopyAsync(
            new ImageReference(registries.Source, repository, "v1"), null,
            new ImageReference(registries.Source, destination, "v1"), null, CancellationToken.None);

        Assert.Equal(image.Blobs.Count, copied.BlobsMounted);
        Assert.Equal(0, copied.BlobsUploaded);
        Assert.Equal(0, _recorder.Count(HttpMethod.Get, "/blobs/"));
        Assert.Equal(image.Manifest.Digest, (await TestImages.GetManifestAsync(_sourceApi, destination, "v1"))!.Value.DigestHeader);
    }

    [Fact]
    public async Task A_source_blob_whose_bytes_do_not_match_its_digest_is_refused_and_never_lands_in_the_destination()
    {
        await using var source = await FakeSource.StartAsync(tamper: true, flaky: false);
        var repository = TestImages.Repository("tampered");

        var error = await Assert.ThrowsAsync<PublishException>(() => CopyToTargetAsync(new ImageReference(source.Registry, "fake", "v1"), repository, "v1"));

        Assert.Contains(source.LayerDigest, error.Message);
        Assert.Contains("arrived with digest", error.Message);
        Assert.Equal(HttpStatusCode.NotFound, await TestImages.HeadBlobAsync(_targetApi, repository, source.LayerDigest));
        Assert.Null(await TestImages.GetManifestAsync(_targetApi, repository, "v1"));
    }

    [Fact]
    public async Task A_registry_answering_503_once_per_request_is_asked_again_and_the_copy_completes()
    {
        await using var source = await FakeSource.StartAsync(tamper: false, flaky: true);
        var repository = TestImages.Repository("flaky");

        var copied = await CopyToTargetAsync(new ImageReference(source.Registry, "fake", "v1"), repository, "v1", new OciCopyOptions { RetryDelays = [TimeSpan.FromMilliseconds(50)] });

        Assert.Equal(3, source.Refusals); // the manifest, the config, the layer
        Assert.Equal(2, copied.BlobsUploaded);
        Assert.Equal(HttpStatusCode.OK, await TestImages.HeadBlobAsync(_targetApi, repository, source.LayerDigest));
    }

    public void Dispose()
    {
        _recorder.Dispose();
        _sourceApi.Dispose();
        _targetApi.Dispose();
    }
}
