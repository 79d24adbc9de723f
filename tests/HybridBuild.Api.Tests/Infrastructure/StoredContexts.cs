using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Sources;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>Contexts written straight to the blob store, as a node that died after storing a build left them.</summary>
public static class StoredContexts
{
    /// <summary>
    /// The context of a build whose stage <c>out</c> exports <c>r.txt</c> holding "recovered\n" (the build id keeps the step
    /// out of BuildKit's cache); returns its blob key.
    /// </summary>
    public static async Task<string> PutRecoveringAsync(IBlobStore blobs, Guid buildId)
    {
        using var context = new MemoryStream();
        await InlineContext.WriteAsync(new InlineSourceSpec
        {
            Files = new() { ["Dockerfile"] = $"FROM busybox AS make\nRUN mkdir /out && echo recovered > /out/r.txt # {buildId}\nFROM scratch AS out\nCOPY --from=make /out/ /\n" },
        }, context, CancellationToken.None);
        context.Position = 0;
        var key = BlobKeys.Context(buildId, gzip: true);
        await blobs.PutAsync(key, context, CancellationToken.None);
        return key;
    }
}
