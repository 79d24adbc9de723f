namespace HybridBuild.Core.Sources;

/// <summary>
/// The segments of a '/'-separated path as spans of it, skipping empty and '.' ones: one pass and no string per
/// segment, since an archive may hold a hundred thousand names of hundreds of segments each.
/// </summary>
internal ref struct PathPieces(string path)
{
    private int _next;

    public ReadOnlySpan<char> Current { get; private set; }

    public readonly PathPieces GetEnumerator() => this;

    public bool MoveNext()
    {
        while (_next <= path.Length)
        {
            var slash = path.IndexOf('/', _next);
            var end = slash < 0 ? path.Length : slash;
            Current = path.AsSpan(_next, end - _next);
            _next = end + 1;
            if (Current.Length > 0 && Current is not ".") return true;
        }
        return false;
    }
}
