using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using HybridBuild.Core.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.Azure;

public static class AzureStorageServiceCollectionExtensions
{
    /// <summary>Blob storage in an Azure Blob Storage container, configured by <paramref name="section"/> ("Storage:Azure").</summary>
    public static IServiceCollection AddAzureBlobStore(this IServiceCollection services, IConfigurationSection section)
    {
        services.AddOptions<AzureStorageOptions>().Bind(section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Container), "Storage:Azure:Container is required.")
            .Validate(o => (o.ResolveConnectionString() is null) != (o.AccountUrl is null),
                "Set one of Storage:Azure:ConnectionString (or ConnectionStringFile) and Storage:Azure:AccountUrl.")
            .Validate(o => o.AccountUrl is null || Uri.TryCreate(o.AccountUrl, UriKind.Absolute, out _), "Storage:Azure:AccountUrl must be an absolute URL.")
            .Validate(o => o.BlockSizeMiB is >= 1 and <= 4000, "Storage:Azure:BlockSizeMiB must be between 1 and 4000.")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AzureStorageOptions>>();
            return new AzureBlobStore(CreateContainerClient(options.Value), options);
        });
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<AzureBlobStore>());
        services.AddHostedService<AzureContainerSetup>();
        return services;
    }

    internal static BlobContainerClient CreateContainerClient(AzureStorageOptions options)
    {
        if (options.ResolveConnectionString() is { } connectionString) return new BlobContainerClient(connectionString, options.Container);
        var url = new Uri(new Uri(options.AccountUrl!.TrimEnd('/') + "/"), Uri.EscapeDataString(options.Container));
        if (options.ResolveAccountKey() is { } key)
        {
            var account = new BlobUriBuilder(new Uri(options.AccountUrl!)).AccountName;
            return new BlobContainerClient(url, new StorageSharedKeyCredential(account, key));
        }
        return new BlobContainerClient(url, new DefaultAzureCredential());
    }

    private sealed class AzureContainerSetup(AzureBlobStore store, IOptions<AzureStorageOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            options.Value.CreateContainer ? store.EnsureContainerAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
