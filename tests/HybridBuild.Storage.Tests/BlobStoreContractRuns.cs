using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridBuild.Storage.Tests;

public sealed class FileSystemBlobStoreContract : BlobStoreContract
{
    private readonly TempDirectory _root = new();

    protected override bool HandsOutDownloadUrls => false;

    protected override IReadOnlyDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "FileSystem", ["Storage:FileSystem:Root"] = _root.Path,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>One s3rver for the S3 contract's tests; each test keeps its blobs under a prefix of its own.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public S3rverServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await S3rverServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class S3BlobStoreContract(S3rverFixture s3) : BlobStoreContract, IClassFixture<S3rverFixture>
{
    protected override bool HandsOutDownloadUrls => true;

    protected override IReadOnlyDictionary<string, string?> Settings() => new Dictionary<string, string?>(s3.Server.Settings())
    {
        ["Storage:S3:Prefix"] = $"test-{Guid.NewGuid():N}", ["Storage:S3:PartSizeMiB"] = "5",
    };
}

/// <summary>One Azurite for the Azure contract's tests; each test keeps its blobs under a prefix of its own.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class AzureBlobStoreContract(AzuriteFixture azure) : BlobStoreContract, IClassFixture<AzuriteFixture>
{
    protected override bool HandsOutDownloadUrls => true;

    protected override IReadOnlyDictionary<string, string?> Settings() => new Dictionary<string, string?>(azure.Server.Settings())
    {
        ["Storage:Azure:Prefix"] = $"test-{Guid.NewGuid():N}", ["Storage:Azure:BlockSizeMiB"] = "4",
    };
}

/// <summary>Nodes reach s3rver as 127.0.0.1, clients as localhost: download URLs are signed for the public name and work there.</summary>
public sealed class S3PublicEndpointTests(S3rverFixture s3) : IClassFixture<S3rverFixture>
{
    [Fact]
    public async Task A_download_url_names_the_public_endpoint_and_reads_the_blob_there()
    {
        var settings = new Dictionary<string, string?>(s3.Server.Settings())
        {
            ["Storage:S3:Prefix"] = $"test-{Guid.NewGuid():N}", ["Storage:S3:PublicServiceUrl"] = $"http://localhost:{s3.Server.Port}",
        };
        await using var services = new ServiceCollection()
            .AddHybridBuildStorage(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();
        var store = services.GetRequiredService<IBlobStore>();
        await store.PutAsync("public.txt", new MemoryStream("seen from outside"u8.ToArray()), CancellationToken.None);

        var url = await store.GetDownloadUriAsync("public.txt", new BlobDownload("attachment", "text/plain", TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.Equal("localhost", url!.Host);
        using var http = new HttpClient();
        Assert.Equal("seen from outside", await http.GetStringAsync(url));
    }
}
