using HybridBuild.Core.Domain;

namespace HybridBuild.Core.Abstractions;

/// <summary>Materialises a build's source (git checkout or uploaded archive) into a directory.</summary>
public interface ISourceFetcher
{
    /// <summary>Writes the source into <paramref name="directory"/>; returns the git commit built, if any.</summary>
    Task<string?> FetchAsync(Build build, string directory, CancellationToken cancellationToken);
}
