using HybridBuild.BuildKit.Client.FileSync;

namespace HybridBuild.Cli.Context;

/// <summary>
/// A context folder's <c>.dockerignore</c>, read as Docker reads it (a <c>#</c> line is a comment, lines are trimmed and
/// cleaned, <c>!</c> makes an exception, <c>**</c> spans folders) and matched by the same matcher the native BuildKit
/// client sends contexts with, so what is left out of the upload is what BuildKit would leave out of the build.
/// </summary>
internal sealed class DockerIgnore
{
    public const string FileName = ".dockerignore";
    private readonly PatternMatcher _matcher;

    private DockerIgnore(IEnumerable<string> patterns) => _matcher = new PatternMatcher(patterns);

    public static DockerIgnore Empty { get; } = new([]);

    public static DockerIgnore Read(string contextDirectory)
    {
        var path = Path.Combine(contextDirectory, FileName);
        if (!File.Exists(path)) return Empty;
        var patterns = File.ReadAllLines(path).Select(line => line.TrimStart('\uFEFF')).Where(line => !line.StartsWith('#'));
        try
        {
            return new DockerIgnore(patterns);
        }
        catch (ArgumentException e)
        {
            throw new Commands.UsageException($"{path}: {e.Message}");
        }
    }

    /// <summary>Whether the '/'-separated relative path is left out.</summary>
    public bool Excludes(string path) => _matcher.Matches(path);

    /// <summary>Whether an excluded folder must still be walked, because an exception may bring back something below it.</summary>
    public bool MayIncludeBelow(string directory) => _matcher.MayMatchBelow(directory, exceptions: true);
}
