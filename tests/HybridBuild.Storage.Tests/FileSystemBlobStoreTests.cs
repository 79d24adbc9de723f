using System.Text;
using HybridBuild.Core.Abstractions;
using HybridBuild.Storage.FileSystem;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.Tests;

public sealed class FileSystemBlobStoreTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "hb-blob-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string _root;
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests()
    {
        _root = Path.Combine(_work, "blobs");
        _store = new FileSystemBlobStore(Options.Create(new FileSystemStorageOptions { Root = _root }));
    }

    public void Dispose()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }

    private static MemoryStream Content(string text) => new(Encoding.UTF8.GetBytes(text));

    private async Task<string?> ReadAsync(string key)
    {
        await using var stream = await _store.OpenReadAsync(key, CancellationToken.None);
        if (stream is null) return null;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task A_blob_that_was_put_can_be_read_back()
    {
        Assert.Equal(PutResult.Created, await _store.PutAsync("builds/1/logs/a.txt", Content("hello blob"), CancellationToken.None));

        Assert.Equal("hello blob", await ReadAsync("builds/1/logs/a.txt"));
        Assert.True(File.Exists(Path.Combine(_root, "builds", "1", "logs", "a.txt")));
    }

    [Fact]
    public async Task A_second_put_of_the_same_key_keeps_the_first_content()
    {
        await _store.PutAsync("k", Content("first"), CancellationToken.None);

        Assert.Equal(PutResult.AlreadyExists, await _store.PutAsync("k", Content("second"), CancellationToken.None));
        Assert.Equal("first", await ReadAsync("k"));
    }

    [Fact]
    public async Task No_temporary_file_is_left_behind_after_puts()
    {
        await _store.PutAsync("a", Content("x"), CancellationToken.None);
        await _store.PutAsync("a", Content("y"), CancellationToken.None);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, ".tmp")));
    }

    [Fact]
    public async Task A_put_whose_content_fails_leaves_no_blob_and_no_temporary_file()
    {
        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync("broken", new FailingStream(), CancellationToken.None));

        Assert.Null(await _store.GetInfoAsync("broken", CancellationToken.None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, ".tmp")));
    }

    [Fact]
    public async Task GetInfo_reports_the_key_and_size()
    {
        await _store.PutAsync("dir/blob.bin", new MemoryStream(new byte[1234]), CancellationToken.None);

        var info = await _store.GetInfoAsync("dir/blob.bin", CancellationToken.None);

        Assert.NotNull(info);
        Assert.Equal("dir/blob.bin", info.Key);
        Assert.Equal(1234, info.Size);
    }

    [Fact]
    public async Task A_missing_key_reads_as_null()
    {
        Assert.Null(await _store.OpenReadAsync("missing", CancellationToken.None));
        Assert.Null(await _store.OpenReadAsync("missing/deeper/key", CancellationToken.None));
        Assert.Null(await _store.GetInfoAsync("missing", CancellationToken.None));
    }

    [Fact]
    public async Task A_key_that_is_only_a_folder_of_other_blobs_reads_as_missing()
    {
        await _store.PutAsync("builds/1/a", Content("x"), CancellationToken.None);

        Assert.Null(await _store.GetInfoAsync("builds/1", CancellationToken.None));
        Assert.Null(await _store.OpenReadAsync("builds/1", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_removes_a_blob_and_tolerates_a_missing_one()
    {
        await _store.PutAsync("gone", Content("x"), CancellationToken.None);

        await _store.DeleteAsync("gone", CancellationToken.None);
        await _store.DeleteAsync("gone", CancellationToken.None);

        Assert.Null(await _store.OpenReadAsync("gone", CancellationToken.None));
    }

    [Fact]
    public async Task The_probe_writes_and_cleans_up()
    {
        await _store.ProbeAsync(CancellationToken.None);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, ".tmp")));
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
    [InlineData("a\0b")]
    public async Task A_key_that_is_not_a_plain_relative_path_is_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(key, Content("x"), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.OpenReadAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetInfoAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeleteAsync(key, CancellationToken.None));

        Assert.Equal(["blobs"], Directory.EnumerateFileSystemEntries(_work).Select(Path.GetFileName));
        Assert.Equal([".tmp"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
    }

    private sealed class FailingStream : Stream
    {
        private int _reads;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_reads++ > 0) throw new IOException("connection reset");
            buffer[offset] = 1;
            return 1;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
