using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using HybridBuild.Core.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.S3;

public static class S3StorageServiceCollectionExtensions
{
    /// <summary>Blob storage in an S3 bucket, configured by <paramref name="section"/> ("Storage:S3").</summary>
    public static IServiceCollection AddS3BlobStore(this IServiceCollection services, IConfigurationSection section)
    {
        services.AddOptions<S3StorageOptions>().Bind(section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Bucket), "Storage:S3:Bucket is required.")
            .Validate(o => o.PartSizeMiB is >= 5 and <= 512, "Storage:S3:PartSizeMiB must be between 5 and 512 (S3's part limits).")
            .Validate(o => o.ServiceUrl is null || Uri.TryCreate(o.ServiceUrl, UriKind.Absolute, out _), "Storage:S3:ServiceUrl must be an absolute URL.")
            .Validate(o => o.PublicServiceUrl is null || (o.ServiceUrl is not null && Uri.TryCreate(o.PublicServiceUrl, UriKind.Absolute, out _)),
                "Storage:S3:PublicServiceUrl must be an absolute URL, and goes with Storage:S3:ServiceUrl.")
            .Validate(o => string.IsNullOrEmpty(o.AccessKeyId) == string.IsNullOrEmpty(o.ResolveSecretAccessKey()),
                "Storage:S3:AccessKeyId and SecretAccessKey (or SecretAccessKeyFile) go together; leave both unset to use the AWS SDK's credential chain.")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<S3StorageOptions>>();
            var client = CreateClient(options.Value);
            var presigner = options.Value.PublicServiceUrl is { } url ? CreateClient(options.Value with { ServiceUrl = url }) : client;
            return new S3BlobStore(client, presigner, options);
        });
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<S3BlobStore>());
        services.AddHostedService<S3BucketSetup>();
        return services;
    }

    internal static S3Client CreateClient(S3StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // S3-compatible stores do not all know the SDK's newer checksum trailers; the service hashes content itself
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.ServiceUrl is { } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is { } region)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        return options.AccessKeyId is { Length: > 0 } accessKey
            ? new S3Client(new BasicAWSCredentials(accessKey, options.ResolveSecretAccessKey()), config)
            : new S3Client(config); // the SDK's chain: environment, profile, web identity, instance or task role
    }

    private sealed class S3BucketSetup(S3BlobStore store, IOptions<S3StorageOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            options.Value.CreateBucket ? store.EnsureBucketAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
