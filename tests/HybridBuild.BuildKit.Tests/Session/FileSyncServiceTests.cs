// Aliased: the test project also has a FileSync namespace.
using FileSyncClient = HybridBuild.BuildKit.Client.Protocol.FileSync.FileSync.FileSyncClient;

namespace HybridBuild.BuildKit.Tests.Session;

/// <summary>
/// FileSync as the daemon drives it. The daemon sends followpaths and patterns as repeated metadata, one header field
/// each; the grpc-dotnet client playing the daemon here would join repeated values into one field, so these tests send
/// one value per key (the encoded form carries the comma) and SessionRequestMetadataTests covers separate fields.
/// </summary>
public sealed class FileSyncServiceTests : IDisposable
{
    private readonly TempDirectory _context = new();

    public FileSyncServiceTests()
    {
        _context.WriteFile("Dockerfile", "FROM scratch\n"u8.ToArray());
        _context.WriteFile("src/a.txt", "alpha"u8.ToArray());
        _context.WriteFile("src/b,c.txt", "bravo, charlie"u8.ToArray());
    }

    [Fact]
    public async Task The_named_directory_is_streamed_with_its_contents()
    {
        var tree = await ReceiveAsync(new Metadata { { "dir-name", "context" } });

        Assert.Equal(["Dockerfile", "src", "src/a.txt", "src/b,c.txt"], tree.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("FROM scratch\n", Encoding.UTF8.GetString(tree["Dockerfile"]!));
        Assert.Equal("bravo, charlie", Encoding.UTF8.GetString(tree["src/b,c.txt"]!));
        Assert.Null(tree["src"]);
    }

    [Fact]
    public async Task Followpaths_limit_the_listing_to_the_files_asked_for()
    {
        var tree = await ReceiveAsync(new Metadata { { "dir-name", "context" }, { "followpaths", "Dockerfile" } });

        Assert.Equal(["Dockerfile"], tree.Keys);
    }

    [Fact]
    public async Task An_encoded_exclude_pattern_with_a_comma_is_decoded_before_it_is_applied()
    {
        var tree = await ReceiveAsync(new Metadata
        {
            { "dir-name", "context" },
            { "exclude-patterns", Uri.EscapeDataString("src/b,c.txt") },
            { "exclude-patterns-encoded", "1" },
        });

        Assert.Contains("src/a.txt", tree.Keys);
        Assert.DoesNotContain("src/b,c.txt", tree.Keys);
    }

    [Fact]
    public async Task An_unknown_directory_name_is_not_found()
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() => ReceiveAsync(new Metadata { { "dir-name", "elsewhere" } }));

        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
    }

    public void Dispose() => _context.Dispose();

    private async Task<IReadOnlyDictionary<string, byte[]?>> ReceiveAsync(Metadata headers)
    {
        var session = new BuildSession("key") { LocalDirectories = { ["context"] = _context.Path } };
        await using var loopback = await SessionLoopback.StartAsync(session);
        using var timeout = new CancellationTokenSource(SessionLoopback.Patience);
        using var call = new FileSyncClient(loopback.Channel).DiffCopy(headers, cancellationToken: timeout.Token);
        return await DaemonReceiver.ReceiveAsync(call, timeout.Token);
    }
}
