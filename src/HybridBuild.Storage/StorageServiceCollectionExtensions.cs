using HybridBuild.Core.Abstractions;
using HybridBuild.Storage.FileSystem;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Storage;

public static class StorageServiceCollectionExtensions
{
    private static readonly string[] Providers = ["FileSystem"];

    /// <summary>Blob storage chosen by "Storage:Provider"; the file system is the default.</summary>
    public static IServiceCollection AddHybridBuildStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Storage");
        var provider = section["Provider"] ?? "FileSystem";
        switch (provider.ToLowerInvariant())
        {
            case "filesystem":
                services.AddOptions<FileSystemStorageOptions>().Bind(section.GetSection("FileSystem"))
                    .Validate(o => !string.IsNullOrWhiteSpace(o.Root), "Storage:FileSystem:Root is required.").ValidateOnStart();
                services.TryAddSingleton<IBlobStore, FileSystemBlobStore>();
                break;
            default:
                throw new InvalidOperationException(
                    $"Storage:Provider '{provider}' is not supported; use one of: {string.Join(", ", Providers)}.");
        }
        return services;
    }
}
