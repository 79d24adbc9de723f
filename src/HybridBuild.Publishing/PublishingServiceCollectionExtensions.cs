using HybridBuild.Core;
using HybridBuild.Publishing.Artifactory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Publishing;

public static class PublishingServiceCollectionExtensions
{
    /// <summary>
    /// The publishers, one <see cref="IPublisher"/> per target type (resolve <c>IEnumerable&lt;IPublisher&gt;</c> and
    /// pick by <see cref="IPublisher.Type"/>). Artifactory's transport settings come from "Publishing:Artifactory".
    /// </summary>
    public static IServiceCollection AddHybridBuildPublishing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ArtifactoryPublisherOptions>()
            .Bind(configuration.GetSection("Publishing:Artifactory"))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient(ArtifactoryPublisher.HttpClientName, client =>
            {
                // each attempt has its own deadline (AttemptTimeout): a 100 MB upload outlasts HttpClient's default
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.MaxResponseContentBufferSize = 1024 * 1024;
            })
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                // a redirected PUT would resend the body and, cross-host, drop or leak the Authorization header
                AllowAutoRedirect = false,
                ConnectTimeout = TimeSpan.FromSeconds(30),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectCallback = ThroughPolicy(services),
            });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPublisher, ArtifactoryPublisher>());
        // large layers take as long as they take: the job's cancellation token bounds a copy, not a timeout
        services.AddHttpClient<Oci.OciImageCopier>(c => c.Timeout = Timeout.InfiniteTimeSpan)
            // the copier follows redirects itself, checking each host against the outbound policy
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30), ConnectCallback = ThroughPolicy(services),
            });
        services.TryAddTransient<IImagePublisher, Oci.OciImagePublisher>();
        services.AddOutboundPolicy();
        return services;
    }

    /// <summary>
    /// Every connection a publisher opens resolves and checks its host at connect time and goes to the checked addresses:
    /// the checks before each request see a name, and a name can resolve elsewhere by the time it is connected to.
    /// </summary>
    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ThroughPolicy(IServiceProvider services)
    {
        var policy = services.GetRequiredService<Core.Network.OutboundPolicy>();
        return (context, cancellationToken) => policy.ConnectAsync(context.DnsEndPoint, cancellationToken);
    }
}
