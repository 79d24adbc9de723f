namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// A list of Docker ignore patterns evaluated in order, the last matching one winning; a pattern also matches a
/// path when it matches one of the path's parent directories (so "build" covers "build/x/y").
/// </summary>
internal sealed class PatternMatcher
{
    private readonly IgnorePattern[] _patterns;

    public PatternMatcher(IEnumerable<string> patterns) =>
        _patterns = patterns.Select(IgnorePattern.Parse).OfType<IgnorePattern>().ToArray();

    public bool IsEmpty => _patterns.Length == 0;

    public bool Matches(string path)
    {
        var segments = path.Split('/');
        var matched = false;
        foreach (var pattern in _patterns)
        {
            // Only a pattern that would flip the answer needs evaluating.
            if (pattern.IsException != matched) continue;
            if (MatchesOrParentMatches(pattern, path, segments)) matched = !pattern.IsException;
        }
        return matched;
    }

    /// <summary>Whether some non-exception (or exception) pattern could match an entry strictly below the directory.</summary>
    public bool MayMatchBelow(string directory, bool exceptions)
    {
        var segments = directory.Split('/');
        return _patterns.Any(p => p.IsException == exceptions && p.MayMatchBelow(segments));
    }

    private static bool MatchesOrParentMatches(IgnorePattern pattern, string path, string[] segments)
    {
        if (pattern.Matches(path)) return true;
        var prefix = "";
        for (var i = 0; i < segments.Length - 1; i++)
        {
            prefix = i == 0 ? segments[0] : prefix + "/" + segments[i];
            if (pattern.Matches(prefix)) return true;
        }
        return false;
    }
}
