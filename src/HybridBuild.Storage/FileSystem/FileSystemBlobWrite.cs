using HybridBuild.Core.Abstractions;

namespace HybridBuild.Storage.FileSystem;

/// <summary>A blob being written to a temporary file under the root's temporary folder; the commit is a rename.</summary>
internal sealed class FileSystemBlobWrite(FileSystemBlobStore store, string temp) : IBlobWrite
{
    private readonly FileStream _file = new(temp, new FileStreamOptions
    {
        Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16, Options = FileOptions.Asynchronous,
    });
    private bool _done;

    public Stream Content => _file;

    public long Length => _file.Length;

    public async Task<PutResult> CommitAsync(string key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _done = true;
        try
        {
            await _file.FlushAsync(cancellationToken);
            await _file.DisposeAsync();
        }
        catch
        {
            await _file.DisposeAsync();
            File.Delete(temp);
            throw;
        }
        return store.Commit(temp, key);
    }

    public async ValueTask DisposeAsync()
    {
        if (_done) return;
        _done = true;
        await _file.DisposeAsync();
        File.Delete(temp);
    }
}
