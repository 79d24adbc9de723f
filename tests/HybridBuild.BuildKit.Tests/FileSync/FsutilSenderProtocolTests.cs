namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class FsutilSenderProtocolTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task IDs_are_indexes_in_the_listing_counting_directories_and_symlinks()
    {
        _tree.File("a/f", "in a").Symlink("b", "a/f").File("c", "see");
        var receiver = FakeReceiver.Start(_tree.Root);
        var listing = await receiver.ReadListingAsync();
        Assert.Equal(["a", "a/f", "b", "c"], listing.Select(s => s.Path));

        await receiver.RequestAsync(3);
        await receiver.RequestAsync(1);
        var (contents, _) = await receiver.ReadFilesAsync(2);
        await receiver.FinishAsync();

        Assert.Equal("see", Encoding.UTF8.GetString(contents[3]));
        Assert.Equal("in a", Encoding.UTF8.GetString(contents[1]));
    }

    [Fact]
    public async Task A_big_file_goes_out_in_32_KiB_chunks_in_order_then_an_empty_terminator()
    {
        var content = new byte[100_000];
        new Random(42).NextBytes(content);
        _tree.File("big", content).File("empty");
        var receiver = FakeReceiver.Start(_tree.Root);
        await receiver.ReadListingAsync();

        await receiver.RequestAsync(0);
        await receiver.RequestAsync(1);
        var (contents, packets) = await receiver.ReadFilesAsync(2);
        await receiver.FinishAsync();

        Assert.Equal(content, contents[0]);
        Assert.Empty(contents[1]);
        var bigChunks = packets.Where(p => p.ID == 0).Select(p => p.Data.Length).ToList();
        Assert.Equal([32768, 32768, 32768, 1696, 0], bigChunks);
        Assert.Equal([0], packets.Where(p => p.ID == 1).Select(p => p.Data.Length));
    }

    [Fact]
    public async Task Requests_may_arrive_before_the_listing_ends_and_many_files_are_served_concurrently()
    {
        for (var i = 0; i < 40; i++) _tree.File($"f{i:D2}", new string('x', 50_000 + i));
        var receiver = FakeReceiver.Start(_tree.Root);
        await receiver.ReadListingAsync((id, _) => receiver.RequestAsync(id));

        var (contents, _) = await receiver.ReadFilesAsync(40);
        await receiver.FinishAsync();

        for (uint id = 0; id < 40; id++) Assert.Equal(50_000 + (int)id, contents[id].Length);
    }

    [Fact]
    public async Task A_file_requested_twice_fails_the_transfer_with_an_ERR()
    {
        _tree.File("a", "x");
        var receiver = FakeReceiver.Start(_tree.Root);
        await receiver.ReadListingAsync();
        await receiver.RequestAsync(0);
        await receiver.ReadFilesAsync(1);

        await receiver.RequestAsync(0);

        var error = await Assert.ThrowsAsync<FileTransferException>(() => receiver.Sending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("already requested", error.Message);
        Assert.Equal(PacketType.PacketErr, (await receiver.NextAsync()).Type);
    }

    [Theory]
    [InlineData(0u)] // a directory
    [InlineData(7u)] // never listed
    public async Task A_request_for_something_that_is_not_a_listed_file_is_refused(uint id)
    {
        _tree.File("dir/file", "x");
        var receiver = FakeReceiver.Start(_tree.Root);
        await receiver.ReadListingAsync();

        await receiver.RequestAsync(id);

        await Assert.ThrowsAsync<FileTransferException>(() => receiver.Sending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(PacketType.PacketErr, (await receiver.NextAsync()).Type);
    }

    [Fact]
    public async Task An_error_from_the_receiver_ends_the_send_with_its_message()
    {
        _tree.File("a");
        var (client, peer) = PacketStreams.CreatePair();
        var sending = FsutilSender.SendAsync(_tree.Root, SendFilter.None, client.Reader, client.Writer, CancellationToken.None);

        await peer.Writer.WriteAsync(new Packet { Type = PacketType.PacketErr, Data = Google.Protobuf.ByteString.CopyFromUtf8("disk full") });

        var error = await Assert.ThrowsAsync<FileTransferException>(() => sending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("disk full", error.Message);
    }

    [Fact]
    public async Task The_sender_answers_the_receivers_FIN_with_FIN_and_returns()
    {
        _tree.File("a");
        var receiver = FakeReceiver.Start(_tree.Root);
        await receiver.ReadListingAsync();

        await receiver.FinishAsync(); // asserts the FIN reply and that SendAsync completed
        Assert.True(receiver.Sending.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_missing_root_is_reported_to_the_receiver()
    {
        var receiver = FakeReceiver.Start(_tree.PathOf("missing"));

        var error = await Assert.ThrowsAsync<FileTransferException>(() => receiver.Sending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("does not exist", error.Message);
        Assert.Equal(PacketType.PacketErr, (await receiver.NextAsync()).Type);
    }
}
