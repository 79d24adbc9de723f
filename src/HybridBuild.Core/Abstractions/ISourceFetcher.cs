namespace HybridBuild.Core.Abstractions;

/// <summary>Materialises a build's source (git checkout or uploaded archive) into a directory.</summary>
public interface ISourceFetcher
{
    /// <summary>
    /// Writes the source into <paramref name="directory"/>: a git build at its pinned <see cref="Build.GitCommit"/> once it
    /// has one, else at its ref. Returns the git commit checked out, if any.
    /// </summary>
    Task<Sources.GitCommit?> FetchAsync(Build build, string directory, CancellationToken cancellationToken);
}
