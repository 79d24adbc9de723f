using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridBuild.Publishing.Tests.Artifactory;

/// <summary>Builds the publisher the way the host does (AddHybridBuildPublishing) and files to publish.</summary>
internal static class ArtifactoryTestKit
{
    public const string Repository = "generic-local";

    /// <summary>The registered Artifactory publisher, with short back-offs unless overridden.</summary>
    public static IPublisher CreatePublisher(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Publishing:Artifactory:InitialBackoff"] = "00:00:00.020",
            ["Publishing:Artifactory:MaxBackoff"] = "00:00:00.200",
            ["Publishing:Artifactory:MaxAttempts"] = "4",
        };
        foreach (var (key, value) in settings) values["Publishing:Artifactory:" + key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var provider = new ServiceCollection().AddLogging().AddHybridBuildPublishing(configuration).BuildServiceProvider();
        return provider.GetServices<IPublisher>().Single(p => p.Type == "artifactory");
    }

    public static PublishTarget Target(ArtifactoryTestServer server, PublishCredentials? credentials = null, string repository = Repository) =>
        new("acme-artifactory", "artifactory", server.Url, repository, credentials ?? PublishCredentials.Token("test-access-token"));

    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A file served from memory; <paramref name="opened"/> counts how often its content was opened.</summary>
    public static PublishFile File(string path, byte[] content, Dictionary<string, IReadOnlyList<string>>? properties = null,
        StrongBox<int>? opened = null) =>
        new(path, properties ?? new Dictionary<string, IReadOnlyList<string>>(), content.Length,
            Convert.ToHexStringLower(SHA256.HashData(content)),
            _ =>
            {
                if (opened is not null) Interlocked.Increment(ref opened.Value);
                return Task.FromResult<Stream>(new MemoryStream(content, writable: false));
            });
}

internal sealed class StrongBox<T>(T value)
{
    public T Value = value;
}
