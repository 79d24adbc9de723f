namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// Go's string order (UTF-8 bytes), which the daemon checks. <see cref="string.CompareOrdinal(string, string)"/>
/// compares UTF-16 code units and puts supplementary characters before U+E000–U+FFFF, which Go does not.
/// </summary>
internal sealed class Utf8Order : IComparer<string>
{
    public static Utf8Order Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        return Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));
    }

    /// <summary>Compares '/'-separated paths segment by segment, so a directory sorts right before its contents.</summary>
    public static int ComparePaths(string x, string y)
    {
        var a = x.Split('/');
        var b = y.Split('/');
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var c = Instance.Compare(a[i], b[i]);
            if (c != 0) return c;
        }
        return a.Length.CompareTo(b.Length);
    }
}
