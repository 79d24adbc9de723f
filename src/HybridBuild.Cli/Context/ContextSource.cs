using HybridBuild.Cli.Commands;

namespace HybridBuild.Cli.Context;

/// <summary>
/// The PATH of <c>hbs build</c>/<c>hbs bake</c>: a folder to upload, or a git URL (<c>URL#ref</c>, as buildx takes it) the
/// service clones itself; and the Dockerfile's path inside it (buildx's <c>-f</c> is relative to the working folder).
/// </summary>
internal sealed record ContextSource(string? Directory, SourceSpec? Git, string? Dockerfile)
{
    public static ContextSource Resolve(string path, string? file)
    {
        if (IsGitUrl(path))
        {
            var hash = path.IndexOf('#');
            var git = new GitSourceSpec { Url = hash < 0 ? path : path[..hash], Ref = hash < 0 ? null : path[(hash + 1)..] };
            return new ContextSource(null, new SourceSpec { Git = git }, file);
        }
        if (path.StartsWith('-')) throw new UsageException($"unknown flag '{path}' (a context from stdin is not supported)");
        var directory = Path.GetFullPath(path);
        if (!System.IO.Directory.Exists(directory)) throw new UsageException($"the context '{path}' is not a folder");
        if (file is null) return new ContextSource(directory, null, null);
        var relative = Path.GetRelativePath(directory, Path.GetFullPath(file)).Replace(Path.DirectorySeparatorChar, '/');
        if (relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." || Path.IsPathRooted(relative))
            throw new UsageException($"the Dockerfile '{file}' is outside the context '{path}': the service reads it from the uploaded context");
        return new ContextSource(directory, null, relative == "Dockerfile" ? null : relative);
    }

    private static bool IsGitUrl(string path) =>
        path.StartsWith("git@", StringComparison.Ordinal) || path.StartsWith("git://", StringComparison.Ordinal)
        || path.StartsWith("ssh://", StringComparison.Ordinal)
        || (path.StartsWith("https://", StringComparison.Ordinal) || path.StartsWith("http://", StringComparison.Ordinal));
}
