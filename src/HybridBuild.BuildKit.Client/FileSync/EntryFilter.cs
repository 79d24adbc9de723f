namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>What the walk does with one entry.</summary>
internal enum FilterDecision
{
    /// <summary>Not sent, and nothing below it is either.</summary>
    Skip,
    /// <summary>Sent (a directory: sent and walked).</summary>
    Send,
    /// <summary>A directory not sent by itself but walked; it is sent just before its first sent descendant.</summary>
    SendIfDescendantSent,
}

/// <summary>
/// The sender's filters combined as fsutil does: followpaths and include patterns together form the include set
/// (an entry is kept when it, or a parent, is in it); exclude patterns then remove entries, exceptions excepted.
/// </summary>
internal sealed class EntryFilter
{
    private readonly IReadOnlyList<string> _follow;
    private readonly PatternMatcher _include;
    private readonly PatternMatcher _exclude;

    public EntryFilter(string root, SendFilter filter)
    {
        _follow = filter.FollowPaths.Count == 0 ? [] : FollowPaths.Resolve(root, filter.FollowPaths);
        _include = new PatternMatcher(filter.IncludePatterns);
        _exclude = new PatternMatcher(filter.ExcludePatterns);
    }

    private bool IncludesEverything => _follow.Count == 0 && _include.IsEmpty;

    public FilterDecision Decide(string path, bool isDirectory)
    {
        var included = IncludesEverything || _follow.Any(f => PathText.IsAtOrBelow(path, f)) || (!_include.IsEmpty && _include.Matches(path));
        if (!included && !(isDirectory && MayIncludeBelow(path))) return FilterDecision.Skip;

        var excluded = !_exclude.IsEmpty && _exclude.Matches(path);
        if (included && !excluded) return FilterDecision.Send;
        // An excluded directory is only worth walking when an exception could bring back something inside it.
        if (isDirectory && (!excluded || _exclude.MayMatchBelow(path, exceptions: true))) return FilterDecision.SendIfDescendantSent;
        return FilterDecision.Skip;
    }

    private bool MayIncludeBelow(string directory) =>
        _follow.Any(f => PathText.IsAtOrBelow(f, directory) && f != directory) || _include.MayMatchBelow(directory, exceptions: false);
}
