namespace HybridBuild.BuildKit.Tests.FileSync;

/// <summary>The disk side on its own: the last line of defence if validation ever let something through.</summary>
public sealed class DestinationTreeTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_directory_swapped_for_a_symlink_during_the_transfer_is_not_written_through()
    {
        var outside = _tree.Dir("outside").PathOf("outside");
        var destination = DestinationTree.Prepare(_tree.PathOf("out"));
        destination.CreateDirectory("d");
        Directory.Delete(_tree.PathOf("out/d"));
        File.CreateSymbolicLink(_tree.PathOf("out/d"), outside);

        Assert.Throws<FileTransferException>(() => destination.CreateFile("d/planted"));
        Assert.Throws<FileTransferException>(() => destination.CreateSymlink("d/link", "/"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void Nothing_is_created_below_a_directory_this_transfer_did_not_create()
    {
        var destination = DestinationTree.Prepare(_tree.PathOf("out"));
        Directory.CreateDirectory(_tree.PathOf("out/foreign"));

        Assert.Throws<FileTransferException>(() => destination.CreateFile("foreign/file"));
        Assert.Throws<FileTransferException>(() => destination.CreateDirectory("foreign/dir"));
    }

    [Fact]
    public void An_existing_entry_is_never_overwritten_or_followed()
    {
        var outside = _tree.File("outside", "keep").PathOf("outside");
        var destination = DestinationTree.Prepare(_tree.PathOf("out"));
        destination.CreateSymlink("link", outside);

        Assert.Throws<IOException>(() => destination.CreateFile("link"));
        Assert.Equal("keep", File.ReadAllText(outside));
    }

    [Fact]
    public void A_destination_that_is_a_symlink_or_a_file_is_refused()
    {
        _tree.Dir("real").Symlink("link", _tree.PathOf("real")).File("file");

        Assert.Throws<FileTransferException>(() => DestinationTree.Prepare(_tree.PathOf("link")));
        Assert.Throws<FileTransferException>(() => DestinationTree.Prepare(_tree.PathOf("file")));
    }
}
