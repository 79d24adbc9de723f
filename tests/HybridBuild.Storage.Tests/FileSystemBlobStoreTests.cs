using System.Text;
using HybridBuild.Core.Abstractions;
using HybridBuild.Storage.FileSystem;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.Tests;

/// <summary>What only the file-system store does (files, a temporary folder, the root); what every store does is in BlobStoreContract.</summary>
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
    public async Task A_blob_is_a_file_under_the_root()
    {
        Assert.Equal(PutResult.Created, await _store.PutAsync("builds/1/logs/a.txt", Content("hello blob"), CancellationToken.None));

        Assert.Equal("hello blob", await ReadAsync("builds/1/logs/a.txt"));
        Assert.True(File.Exists(Path.Combine(_root, "builds", "1", "logs", "a.txt")));
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
    public async Task The_probe_writes_and_cleans_up()
    {
        await _store.ProbeAsync(CancellationToken.None);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, ".tmp")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/etc/passwd")]
    [InlineData(".tmp/x")]
    public async Task A_key_that_is_not_a_plain_relative_path_touches_nothing_on_disk(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.PutAsync(key, Content("x"), CancellationToken.None));
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
