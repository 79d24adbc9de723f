using System.Security.Cryptography;
using System.Text;
using HybridBuild.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HybridBuild.Storage.Tests;

/// <summary>
/// What every blob store promises, run against each real store: the file system, S3 (s3rver) and Azure Blob Storage
/// (Azurite). Each store is built the way a node builds it, from configuration through AddHybridBuildStorage, and each
/// test gets keys of its own (a fresh prefix or root).
/// </summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    /// <summary>Large enough for several parts or blocks at the smallest part size the stores are set to (5 MiB).</summary>
    protected const int LargeSize = 23 * 1024 * 1024 + 12345;

    private ServiceProvider? _services;

    protected IBlobStore Store { get; private set; } = null!;

    /// <summary>The store's settings (Storage:*), with a part or block size small enough that LargeSize takes several.</summary>
    protected abstract IReadOnlyDictionary<string, string?> Settings();

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings()).Build();
        _services = new ServiceCollection().AddHybridBuildStorage(configuration).BuildServiceProvider(validateScopes: true);
        foreach (var hosted in _services.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);
        Store = _services.GetRequiredService<IBlobStore>();
    }

    public virtual async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }

    private static MemoryStream Content(string text) => new(Encoding.UTF8.GetBytes(text));

    protected async Task<byte[]?> ReadAllAsync(string key)
    {
        await using var stream = await Store.OpenReadAsync(key, CancellationToken.None);
        if (stream is null) return null;
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task A_blob_that_was_put_can_be_read_back_with_its_size()
    {
        Assert.Equal(PutResult.Created, await Store.PutAsync("builds/1/logs/a.txt", Content("hello blob"), CancellationToken.None));

        Assert.Equal("hello blob", Encoding.UTF8.GetString((await ReadAllAsync("builds/1/logs/a.txt"))!));
        var info = await Store.GetInfoAsync("builds/1/logs/a.txt", CancellationToken.None);
        Assert.NotNull(info);
        Assert.Equal("builds/1/logs/a.txt", info.Key);
        Assert.Equal(10, info.Size);
        Assert.True(info.LastModified > DateTimeOffset.UtcNow.AddHours(-1), $"last modified {info.LastModified}");
    }

    [Fact]
    public async Task An_empty_blob_is_a_blob()
    {
        Assert.Equal(PutResult.Created, await Store.PutAsync("empty", new MemoryStream(), CancellationToken.None));

        Assert.Equal(0, (await Store.GetInfoAsync("empty", CancellationToken.None))!.Size);
        Assert.Empty((await ReadAllAsync("empty"))!);
    }

    [Fact]
    public async Task A_second_put_of_the_same_key_keeps_the_first_content()
    {
        await Store.PutAsync("k", Content("first"), CancellationToken.None);

        Assert.Equal(PutResult.AlreadyExists, await Store.PutAsync("k", Content("second"), CancellationToken.None));
        Assert.Equal("first", Encoding.UTF8.GetString((await ReadAllAsync("k"))!));
    }

    [Fact]
    public async Task A_large_blob_from_a_stream_that_cannot_seek_goes_up_in_parts_and_reads_back_whole()
    {
        var source = new GeneratedStream(LargeSize, seed: 7);

        Assert.Equal(PutResult.Created, await Store.PutAsync("large.bin", source, CancellationToken.None));

        Assert.Equal(LargeSize, (await Store.GetInfoAsync("large.bin", CancellationToken.None))!.Size);
        await using var read = (await Store.OpenReadAsync("large.bin", CancellationToken.None))!;
        Assert.Equal(LargeSize, read.Length);
        Assert.Equal(GeneratedStream.Sha256(LargeSize, seed: 7), Convert.ToHexStringLower(await SHA256.HashDataAsync(read)));
    }

    [Fact]
    public async Task A_put_whose_content_fails_part_way_leaves_no_blob()
    {
        // fails after more than two parts have gone up, so a multipart or block upload is under way when it breaks
        var failing = new GeneratedStream(LargeSize, seed: 3, failAt: 12 * 1024 * 1024);

        await Assert.ThrowsAsync<IOException>(() => Store.PutAsync("broken", failing, CancellationToken.None));

        Assert.Null(await Store.GetInfoAsync("broken", CancellationToken.None));
        Assert.Null(await Store.OpenReadAsync("broken", CancellationToken.None));
        Assert.Equal(PutResult.Created, await Store.PutAsync("broken", Content("whole"), CancellationToken.None));
    }

    [Fact]
    public async Task A_cancelled_put_leaves_no_blob()
    {
        using var cts = new CancellationTokenSource();
        var source = new GeneratedStream(LargeSize, seed: 4, onRead: position => { if (position > 8 * 1024 * 1024) cts.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PutAsync("cancelled", source, cts.Token));

        Assert.Null(await Store.GetInfoAsync("cancelled", CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_puts_of_the_same_key_leave_one_whole_blob()
    {
        var puts = Enumerable.Range(0, 4).Select(_ => Store.PutAsync("same", new GeneratedStream(6 * 1024 * 1024, seed: 9), CancellationToken.None));

        var results = await Task.WhenAll(puts);

        Assert.Contains(PutResult.Created, results);
        await using var read = (await Store.OpenReadAsync("same", CancellationToken.None))!;
        Assert.Equal(GeneratedStream.Sha256(6 * 1024 * 1024, seed: 9), Convert.ToHexStringLower(await SHA256.HashDataAsync(read)));
    }

    /// <summary>Writes <paramref name="content"/> into a write in 32 KiB chunks, as an export arrives, hashing on the way.</summary>
    private static async Task<string> WriteHashedAsync(IBlobWrite write, Stream content, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[32 * 1024];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            hash.AppendData(chunk, 0, read);
            await write.Content.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Temporaries left in the store: a sweep of everything started before an hour from now counts them (and removes them).</summary>
    private Task<int> TemporariesLeftAsync() => Store.DeleteTemporariesAsync(DateTimeOffset.UtcNow.AddHours(1), CancellationToken.None);

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(LargeSize)]
    public async Task A_write_committed_under_the_hash_of_its_content_reads_back_whole_and_leaves_no_temporary(int size)
    {
        string sha256;
        await using (var write = await Store.BeginWriteAsync(null, CancellationToken.None))
        {
            sha256 = await WriteHashedAsync(write, new GeneratedStream(size, seed: 11));
            Assert.Equal(size, write.Length);
            Assert.Equal(PutResult.Created, await write.CommitAsync($"artifacts/{sha256}", CancellationToken.None));
        }

        Assert.Equal(GeneratedStream.Sha256(size, seed: 11), sha256);
        Assert.Equal(size, (await Store.GetInfoAsync($"artifacts/{sha256}", CancellationToken.None))!.Size);
        await using (var read = (await Store.OpenReadAsync($"artifacts/{sha256}", CancellationToken.None))!)
            Assert.Equal(sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(read)));
        Assert.Equal(0, await TemporariesLeftAsync());
    }

    [Fact]
    public async Task A_write_committed_under_a_key_that_exists_keeps_the_first_content_and_leaves_no_temporary()
    {
        await Store.PutAsync("same-content", new GeneratedStream(LargeSize, seed: 12), CancellationToken.None);

        await using (var write = await Store.BeginWriteAsync(null, CancellationToken.None))
        {
            await WriteHashedAsync(write, new GeneratedStream(LargeSize, seed: 13));
            Assert.Equal(PutResult.AlreadyExists, await write.CommitAsync("same-content", CancellationToken.None));
        }

        await using (var read = (await Store.OpenReadAsync("same-content", CancellationToken.None))!)
            Assert.Equal(GeneratedStream.Sha256(LargeSize, seed: 12), Convert.ToHexStringLower(await SHA256.HashDataAsync(read)));
        Assert.Equal(0, await TemporariesLeftAsync());
    }

    [Theory]
    [InlineData(100)]
    [InlineData(LargeSize)]
    public async Task A_write_abandoned_before_its_commit_leaves_no_blob_and_no_temporary(int size)
    {
        await using (var write = await Store.BeginWriteAsync(null, CancellationToken.None))
            await WriteHashedAsync(write, new GeneratedStream(size, seed: 14));

        Assert.Equal(0, await TemporariesLeftAsync());
        Assert.Null(await Store.GetInfoAsync($"artifacts/{GeneratedStream.Sha256(size, seed: 14)}", CancellationToken.None));
    }

    [Fact]
    public async Task A_write_cancelled_part_way_leaves_no_temporary()
    {
        using var cts = new CancellationTokenSource();
        var source = new GeneratedStream(LargeSize, seed: 15, onRead: position => { if (position > 12 * 1024 * 1024) cts.Cancel(); });

        await using (var write = await Store.BeginWriteAsync(null, CancellationToken.None))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WriteHashedAsync(write, source, cts.Token));

        Assert.Equal(0, await TemporariesLeftAsync());
    }

    [Fact]
    public async Task A_write_refuses_to_commit_under_a_key_that_is_not_a_plain_relative_path_and_leaves_no_temporary()
    {
        await using (var write = await Store.BeginWriteAsync(null, CancellationToken.None))
        {
            await WriteHashedAsync(write, new GeneratedStream(LargeSize, seed: 16));
            await Assert.ThrowsAsync<ArgumentException>(() => write.CommitAsync("../escape", CancellationToken.None));
        }

        Assert.Equal(0, await TemporariesLeftAsync());
        await Assert.ThrowsAsync<ArgumentException>(() => Store.BeginWriteAsync(".tmp/x", CancellationToken.None));
    }

    [Fact]
    public async Task The_sweep_removes_what_a_writer_that_died_mid_write_left_once_it_is_old_enough()
    {
        // a node that dies mid-write never disposes its write: its parts or file stay in the store's temporary place
        var dead = await Store.BeginWriteAsync(null, CancellationToken.None);
        await WriteHashedAsync(dead, new GeneratedStream(LargeSize, seed: 17));

        Assert.Equal(0, await Store.DeleteTemporariesAsync(DateTimeOffset.UtcNow.AddHours(-1), CancellationToken.None));
        Assert.True(await TemporariesLeftAsync() >= 1, "the sweep found nothing the dead write left");
        Assert.Equal(0, await TemporariesLeftAsync());
        await dead.DisposeAsync(); // what it would remove is gone already
    }

    [Fact]
    public async Task A_read_serves_ranges_by_seeking()
    {
        await Store.PutAsync("ranged.bin", new GeneratedStream(LargeSize, seed: 5), CancellationToken.None);
        var expected = new byte[LargeSize];
        await new GeneratedStream(LargeSize, seed: 5).ReadExactlyAsync(expected);
        await using var read = (await Store.OpenReadAsync("ranged.bin", CancellationToken.None))!;
        Assert.True(read.CanSeek);

        foreach (var (offset, count) in new[] { (LargeSize - 100L, 100), (12_345_678L, 3 * 1024 * 1024), (0L, 10), (LargeSize / 2L, 1) })
        {
            read.Seek(offset, SeekOrigin.Begin);
            var slice = new byte[count];
            await read.ReadExactlyAsync(slice);
            Assert.Equal(expected.AsSpan((int)offset, count).ToArray(), slice);
            Assert.Equal(offset + count, read.Position);
        }
        read.Position = LargeSize;
        Assert.Equal(0, await read.ReadAsync(new byte[10]));
    }

    [Fact]
    public async Task A_missing_key_reads_as_null()
    {
        Assert.Null(await Store.OpenReadAsync("missing", CancellationToken.None));
        Assert.Null(await Store.OpenReadAsync("missing/deeper/key", CancellationToken.None));
        Assert.Null(await Store.GetInfoAsync("missing", CancellationToken.None));
    }

    [Fact]
    public async Task A_key_that_is_only_a_folder_of_other_blobs_reads_as_missing()
    {
        await Store.PutAsync("builds/1/a", Content("x"), CancellationToken.None);

        Assert.Null(await Store.GetInfoAsync("builds/1", CancellationToken.None));
        Assert.Null(await Store.OpenReadAsync("builds/1", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_removes_a_blob_and_tolerates_a_missing_one()
    {
        await Store.PutAsync("gone", Content("x"), CancellationToken.None);

        await Store.DeleteAsync("gone", CancellationToken.None);
        await Store.DeleteAsync("gone", CancellationToken.None);

        Assert.Null(await Store.OpenReadAsync("gone", CancellationToken.None));
        Assert.Equal(PutResult.Created, await Store.PutAsync("gone", Content("again"), CancellationToken.None));
    }

    [Fact]
    public async Task The_probe_succeeds_on_a_writable_store()
    {
        await Store.ProbeAsync(CancellationToken.None);
    }

    /// <summary>Whether the store hands out URLs that read a blob directly (object stores do; the file system does not).</summary>
    protected abstract bool HandsOutDownloadUrls { get; }

    [Fact]
    public async Task A_download_url_reads_the_blob_with_the_given_name_and_type_or_there_is_none()
    {
        await Store.PutAsync("artifacts/app.wasm", Content("\0asm module"), CancellationToken.None);
        var download = new BlobDownload("attachment; filename*=UTF-8''app%20v1.wasm", "application/wasm", TimeSpan.FromMinutes(5));

        var url = await Store.GetDownloadUriAsync("artifacts/app.wasm", download, CancellationToken.None);

        if (!HandsOutDownloadUrls)
        {
            Assert.Null(url);
            return;
        }
        Assert.NotNull(url);
        using var http = new HttpClient();
        using var response = await http.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} from {url}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("\0asm module", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/wasm", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("app v1.wasm", response.Content.Headers.ContentDisposition?.FileNameStar);
        // the URL is signed: changing the key it names is refused
        using var tampered = await http.GetAsync(new Uri(url.AbsoluteUri.Replace("app.wasm", "app.wasn", StringComparison.Ordinal)));
        Assert.False(tampered.IsSuccessStatusCode, $"a tampered URL answered {(int)tampered.StatusCode}");
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("..")]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("a/./b")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\b")]
    [InlineData("..\\escape")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData(".tmp/x")]
    [InlineData(".probe/x")]
    [InlineData("a\0b")]
    public async Task A_key_that_is_not_a_plain_relative_path_is_refused(string key)
    {
        var download = new BlobDownload("attachment", "text/plain", TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(key, Content("x"), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetInfoAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetDownloadUriAsync(key, download, CancellationToken.None));
    }
}
