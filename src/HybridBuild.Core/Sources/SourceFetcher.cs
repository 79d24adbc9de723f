using HybridBuild.Core.Abstractions;
using Microsoft.Extensions.Options;

namespace HybridBuild.Core.Sources;

public sealed record SourceOptions
{
    public const string Section = "Sources";
    /// <summary>The git executable.</summary>
    public string GitPath { get; init; } = "git";
}

/// <summary>Materialises a build's context: a git checkout, or the uploaded archive from blob storage.</summary>
internal sealed class SourceFetcher(IBlobStore blobs, IOptions<SourceOptions> options, IOptions<ContextLimits> limits, Network.OutboundPolicy network) : ISourceFetcher
{
    public async Task<GitCommit?> FetchAsync(Build build, string directory, CancellationToken cancellationToken)
    {
        if (build.SourceKind == SourceKind.Git)
        {
            // once a stage has pinned the build's commit, every later stage fetches that commit, not the ref, which may have moved
            return await GitCheckout.FetchCheckedAsync(network, "git URL", build.GitUrl!, build.GitCommit ?? build.GitRef, directory,
                options.Value.GitPath, limits.Value, cancellationToken);
        }

        await using var archive = await blobs.OpenReadAsync(build.ContextKey!, cancellationToken)
            ?? throw new SourceFetchException($"The uploaded context '{build.ContextKey}' is missing from blob storage.");
        await ContextArchive.ExtractAsync(archive, build.ContextKey!.EndsWith(".gz", StringComparison.Ordinal), directory, limits.Value, cancellationToken);
        return null;
    }
}
