namespace HybridBuild.Core.Specs;

/// <summary>
/// The shape of a '/'-separated path that a context may hold, shared by uploaded archives and inline files.
/// Linux refuses longer paths and names (PATH_MAX, NAME_MAX), and code that looks at every folder on a path
/// does work that grows with length times depth: both are bounded before any such work.
/// </summary>
public static class PathRules
{
    /// <summary>Longest path, in UTF-8 bytes (Linux's PATH_MAX).</summary>
    public const int MaxPathBytes = 4096;
    /// <summary>Longest file or folder name, in UTF-8 bytes (Linux's NAME_MAX).</summary>
    public const int MaxSegmentBytes = 255;
    /// <summary>Most segments on a path, unless configured otherwise (<c>Limits:MaxPathDepth</c>).</summary>
    public const int DefaultMaxDepth = 256;

    /// <summary>
    /// Why the path is too long, too deep or has too long a segment, or null. One pass over the characters, so
    /// the cost is linear in the length whatever the path holds; '.' and '..' count as segments, empty ones do not.
    /// </summary>
    public static string? CheckShape(string path, int maxDepth)
    {
        ArgumentNullException.ThrowIfNull(path);
        int bytes = 0, depth = 0, segment = 0;
        foreach (var rune in path.EnumerateRunes())
        {
            var length = rune.Utf8SequenceLength; // a lone surrogate is U+FFFD, three bytes, as UTF-8 writes it
            bytes += length;
            if (rune.Value == '/')
            {
                segment = 0;
                continue;
            }
            if (segment == 0 && ++depth > maxDepth) return $"has more than {maxDepth} segments";
            segment += length;
            if (segment > MaxSegmentBytes) return $"has a segment longer than {MaxSegmentBytes} bytes";
            if (bytes > MaxPathBytes) return $"is longer than {MaxPathBytes} bytes";
        }
        return bytes > MaxPathBytes ? $"is longer than {MaxPathBytes} bytes" : null;
    }

    /// <summary>The path without empty segments ("a//b/" is "a/b"): the one an archive entry of that name extracts to.</summary>
    public static string Normalize(string path) => string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));
}
