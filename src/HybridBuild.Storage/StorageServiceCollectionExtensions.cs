using HybridBuild.Core.Abstractions;
using HybridBuild.Storage.Azure;
using HybridBuild.Storage.FileSystem;
using HybridBuild.Storage.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Storage;

public static class StorageServiceCollectionExtensions
{
    private static readonly string[] Providers = ["FileSystem", "S3", "Azure"];

    /// <summary>Blob storage chosen by "Storage:Provider" (FileSystem, S3 or Azure); the file system is the default.</summary>
    public static IServiceCollection AddHybridBuildStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Storage");
        services.AddOptions<StorageOptions>().Bind(section)
            .Validate(o => o.DownloadUrlLifetime > TimeSpan.Zero && o.DownloadUrlLifetime <= TimeSpan.FromDays(7),
                "Storage:DownloadUrlLifetime must be more than zero and at most 7 days.")
            .ValidateOnStart();
        var provider = section["Provider"] ?? "FileSystem";
        switch (provider.ToLowerInvariant())
        {
            case "filesystem":
                services.AddOptions<FileSystemStorageOptions>().Bind(section.GetSection("FileSystem"))
                    .Validate(o => !string.IsNullOrWhiteSpace(o.Root), "Storage:FileSystem:Root is required.").ValidateOnStart();
                services.TryAddSingleton<IBlobStore, FileSystemBlobStore>();
                break;
            case "s3":
                services.AddS3BlobStore(section.GetSection("S3"));
                break;
            case "azure":
                services.AddAzureBlobStore(section.GetSection("Azure"));
                break;
            default:
                throw new InvalidOperationException(
                    $"Storage:Provider '{provider}' is not supported; use one of: {string.Join(", ", Providers)}.");
        }
        return services;
    }
}
