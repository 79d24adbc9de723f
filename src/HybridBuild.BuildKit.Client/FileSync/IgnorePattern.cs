using System.Text.RegularExpressions;

namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// One Docker ignore pattern, with the rules of moby/patternmatcher: <c>!</c> marks an exception; <c>*</c> and
/// <c>?</c> stay inside one path segment; <c>[...]</c> is a character class; <c>\</c> escapes the next character;
/// <c>**</c> spans any number of segments (<c>**/</c> included, a trailing <c>**</c> matches everything below).
/// </summary>
internal sealed class IgnorePattern
{
    private readonly Regex _whole;
    private readonly Regex?[] _segments;

    private IgnorePattern(string text, bool exception)
    {
        Text = text;
        IsException = exception;
        Segments = text.Split('/');
        _whole = Compile(text) ?? throw new ArgumentException($"Invalid file pattern \"{text}\".");
        _segments = Segments.Select(Compile).ToArray();
    }

    public string Text { get; }
    public bool IsException { get; }
    public string[] Segments { get; }
    public bool SpansSegments => Text.Contains("**", StringComparison.Ordinal);

    /// <summary>Null for a blank line; the text is trimmed and cleaned like a .dockerignore line.</summary>
    public static IgnorePattern? Parse(string raw)
    {
        var text = raw.Trim();
        if (text.Length == 0) return null;
        var exception = text[0] == '!';
        if (exception)
        {
            text = text[1..].Trim();
            if (text.Length == 0) throw new ArgumentException("Invalid file pattern \"!\": an exception needs a pattern.");
        }
        return new IgnorePattern(PathText.Clean(text), exception);
    }

    public bool Matches(string path) => _whole.IsMatch(path);

    /// <summary>Whether the pattern, matched against the whole path, may match something strictly below <paramref name="directory"/>.</summary>
    public bool MayMatchBelow(string[] directory)
    {
        if (SpansSegments) return true;
        if (Segments.Length <= directory.Length) return false;
        for (var i = 0; i < directory.Length; i++)
        {
            var segment = _segments[i];
            if (segment is not null && !segment.IsMatch(directory[i])) return false; // unparsable alone: assume it may
        }
        return true;
    }

    private static Regex? Compile(string pattern)
    {
        try
        {
            return new Regex(Translate(pattern), RegexOptions.CultureInvariant);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string Translate(string pattern)
    {
        var regex = new StringBuilder("^");
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                // A lone trailing backslash matches a backslash.
                regex.Append(i + 1 < pattern.Length ? Regex.Escape(pattern[++i].ToString()) : @"\\");
            }
            else if (inClass)
            {
                if (c == ']') inClass = false;
                regex.Append(c == '[' ? @"\[" : c.ToString());
            }
            else if (c == '[')
            {
                inClass = true;
                regex.Append('[');
                if (i + 1 < pattern.Length && pattern[i + 1] == '^') regex.Append(pattern[++i]);
            }
            else if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++;
                regex.Append(i + 1 == pattern.Length ? ".*" : "(.*/)?");
            }
            else if (c == '*') regex.Append("[^/]*");
            // Go matches runes: one '?' is one character even outside the BMP.
            else if (c == '?') regex.Append(@"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^/])");
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.Append('$').ToString();
    }
}
