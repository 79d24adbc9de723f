namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class RoundTripTests : IDisposable
{
    private readonly TempTree _source = new();
    private readonly TempTree _target = new();

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
    }

    [Fact]
    public async Task A_tree_sent_by_our_sender_is_rebuilt_identically_by_our_receiver()
    {
        var big = new byte[1_000_003];
        new Random(1).NextBytes(big);
        _source.Dir("private", (UnixFileMode)0x1C0).File("private/secret", "s", (UnixFileMode)0x180)
            .File("odd", "604", (UnixFileMode)0x184).File("bin/tool", "#!/bin/sh", (UnixFileMode)0x1ED)
            .File("big.bin", big).Dir("empty/nested").Symlink("bin/link", "tool").Symlink("dangling", "../../nowhere")
            .File("\uE000").File("\U0001F600", "emoji")
            .ModTime("odd", 1_234_567_890_123_456_789).ModTime("empty/nested", 1_111_111_111_222_222_222);
        var destination = _target.PathOf("out");

        var (senderSide, receiverSide) = PacketStreams.CreatePair();
        var sending = FsutilSender.SendAsync(_source.Root, SendFilter.None, senderSide.Reader, senderSide.Writer, CancellationToken.None);
        var receiving = FsutilReceiver.ReceiveAsync(destination, receiverSide.Reader, receiverSide.Writer, new ReceiveLimits(1000, 10_000_000), CancellationToken.None);
        await Task.WhenAll(sending, receiving).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Describe(_source.Root), Describe(destination));
        Assert.Equal(big, File.ReadAllBytes(Path.Join(destination, "big.bin")));
    }

    // Type, mode, size, mtime, link target and content of every entry below a root (the root excluded).
    private static List<string> Describe(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(full =>
            {
                Assert.True(PosixFile.TryLstat(full, out var stat));
                var relative = Path.GetRelativePath(root, full);
                var mtime = stat.IsSymlink ? "" : stat.ModTimeNanoseconds.ToString();
                var content = stat.IsRegular ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(full))) : "";
                return $"{relative} {stat.Mode:X} {(stat.IsDirectory ? 0 : stat.Size)} {mtime} {new FileInfo(full).LinkTarget} {content}";
            })
            .Order(StringComparer.Ordinal)
            .ToList();
}
