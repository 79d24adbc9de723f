namespace HybridBuild.Api.Tests;

/// <summary>
/// The native engine streams a stage's export into the blob store (here the file system) as BuildKit sends it: what is
/// stored is what downloads, and a stage that does not succeed leaves neither a blob nor a temporary behind.
/// </summary>
[Collection(LiveService.Name)]
public sealed class StreamedExportTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    private static BuildSpec Inline(string dockerfile) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = dockerfile } } },
        Stages = [new StageSpec { Name = "out", Target = "out", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") } }],
    };

    /// <summary>A build whose stage exports what <paramref name="run"/> (a RUN step with ARG nonce) leaves in /out.</summary>
    private static BuildSpec Exporting(string run) =>
        Inline($"FROM busybox AS build\nARG nonce\nRUN {run}\nFROM scratch AS out\nCOPY --from=build /out/ /\n");

    private string Temporaries => Path.Combine(service.BlobRoot, ".tmp");

    /// <summary>Every artifact blob in the store (blobs are named by their SHA-256).</summary>
    private HashSet<string> StoredBlobs()
    {
        var folder = Path.Combine(service.BlobRoot, "artifacts");
        return Directory.Exists(folder) ? [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f))] : [];
    }

    /// <summary>No artifact blob beyond those stored <paramref name="before"/>, and no temporary.</summary>
    private void AssertNothingLeft(HashSet<string> before)
    {
        Assert.Subset(before, StoredBlobs());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Temporaries));
    }

    [Fact]
    public async Task A_streamed_export_stores_each_file_by_its_hash_with_its_size_and_mode_and_each_downloads_whole()
    {
        var spec = Exporting("""
            mkdir -p /out/bin /out/deep && echo $nonce > /out/id.txt && printf '#!/bin/sh\necho $nonce\n' > /out/bin/run && chmod 750 /out/bin/run \
            && dd if=/dev/urandom of=/out/deep/big bs=1024 count=20000 2>/dev/null && chmod 604 /out/deep/big && ln /out/id.txt /out/same.txt && : > /out/empty
            """);

        var done = await _api.WaitSucceededAsync((await _api.SubmitAsync(spec)).Id);

        var artifacts = done.Stages.Single().Artifacts!;
        Assert.Equal(["bin/run", "deep/big", "empty", "id.txt", "same.txt"], artifacts.Select(a => a.Path));
        Assert.Equal(["0750", "0604", "0644", "0644", "0644"], artifacts.Select(a => a.Mode));
        Assert.Equal(20000 * 1024, artifacts.Single(a => a.Path == "deep/big").Size);
        Assert.Equal(artifacts.Single(a => a.Path == "id.txt").Sha256, artifacts.Single(a => a.Path == "same.txt").Sha256);
        foreach (var artifact in artifacts)
        {
            var content = await service.Client.GetByteArrayAsync($"/api/v1/builds/{done.Id}/artifacts/out/{artifact.Path}");
            Assert.Equal(artifact.Size, content.Length);
            Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(SHA256.HashData(content)));
            Assert.Contains(artifact.Sha256, StoredBlobs());
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(Temporaries));
    }

    [Fact]
    public async Task A_solve_that_fails_part_way_through_its_export_leaves_no_blob_and_no_temporary()
    {
        var before = StoredBlobs();
        // files of fresh content first, then one whose path is longer than an artifact's may be: the export is refused there
        var spec = Exporting("""
            mkdir /out && for i in 1 2 3 4 5 6; do dd if=/dev/urandom of=/out/a$i bs=1024 count=3000 2>/dev/null; done \
            && long=/out/z && for i in 1 2 3 4 5 6 7 8 9 10 11; do long=$long/$(printf 'd%.0s' $(seq 200)); done && mkdir -p $long && echo $nonce > $long/last
            """);

        var done = await _api.WaitFinishedAsync((await _api.SubmitAsync(spec)).Id, TimeSpan.FromMinutes(5));

        Assert.Equal(BuildStatus.Failed, done.Status);
        Assert.Contains("longer than 2000 bytes", done.Stages.Single().Error);
        Assert.Empty(done.Stages.Single().Artifacts ?? []);
        AssertNothingLeft(before);
    }

    [Fact]
    public async Task A_build_cancelled_while_its_export_streams_leaves_no_blob_and_no_temporary()
    {
        var before = StoredBlobs();
        var spec = Exporting("""
            mkdir /out && echo $nonce > /out/id && for i in 1 2 3 4 5 6 7 8; do dd if=/dev/urandom of=/out/part$i bs=1M count=64 2>/dev/null; done
            """);
        var build = await _api.SubmitAsync(spec);
        // a temporary in the store means the export is streaming
        while (!Directory.EnumerateFileSystemEntries(Temporaries).Any())
        {
            var now = await _api.GetAsync(build.Id);
            Assert.True(now.Status is BuildStatus.Queued or BuildStatus.Running, $"the build ended ({now.Status}) before its export was seen streaming");
            await Task.Delay(20);
        }

        using var cancel = await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        var done = await _api.WaitFinishedAsync(build.Id, TimeSpan.FromMinutes(2));

        Assert.Equal(BuildStatus.Cancelled, done.Status);
        AssertNothingLeft(before);
    }

    [Fact]
    public async Task An_uploaded_context_streams_into_blob_storage_byte_for_byte_and_a_refused_one_leaves_no_temporary()
    {
        var context = Contexts.TarGz(new Dictionary<string, string>
        {
            ["Dockerfile"] = "FROM scratch AS out\nCOPY id.txt /\n", ["id.txt"] = Guid.NewGuid().ToString("N"),
        });

        var build = await _api.SubmitAsync(new BuildSpec { Stages = [new StageSpec { Name = "out", Target = "out" }] }, context);

        Assert.Equal(context, await File.ReadAllBytesAsync(Path.Combine(service.BlobRoot, "contexts", $"{build.Id:N}.tar.gz")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Temporaries));
        var uploads = Path.Combine(service.WorkDirectory, "uploads");
        Assert.Empty(Directory.Exists(uploads) ? Directory.EnumerateFileSystemEntries(uploads) : []);
        await _api.WaitSucceededAsync(build.Id);

        var contexts = Directory.EnumerateFiles(Path.Combine(service.BlobRoot, "contexts")).Count();
        using var notAnArchive = await _api.PostMultipartAsync(new BuildSpec { Stages = [new StageSpec { Name = "out", Target = "out" }] },
            [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7))]);
        await BuildApi.ProblemAsync(notAnArchive, HttpStatusCode.BadRequest, "invalid-context");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Temporaries));
        Assert.Equal(contexts, Directory.EnumerateFiles(Path.Combine(service.BlobRoot, "contexts")).Count());
    }
}
