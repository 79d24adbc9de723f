namespace HybridBuild.Core.Specs;

/// <summary>What a string field may hold, from strictest to loosest.</summary>
public enum TextKind
{
    /// <summary>Names, refs, paths, tags, platforms: no control character at all.</summary>
    Name,
    /// <summary>Free text such as a build argument's value: tab, CR and LF, but no other control character.</summary>
    Text,
    /// <summary>File content: anything but NUL.</summary>
    Content,
}

/// <summary>
/// The one place that decides which control characters a client's string may carry. NUL ends strings where git,
/// BuildKit and the kernel read them (so what is checked is not what runs), and the other C0 and C1 controls
/// rewrite terminals and split the log lines and records these strings end up in.
/// </summary>
public static class TextRules
{
    /// <summary>The index of the first character <paramref name="kind"/> does not allow, or -1.</summary>
    public static int FindForbidden(string value, TextKind kind)
    {
        ArgumentNullException.ThrowIfNull(value);
        for (var i = 0; i < value.Length; i++)
            if (IsForbidden(value[i], kind)) return i;
        return -1;
    }

    /// <summary>Why <paramref name="value"/> is refused, as a sentence fragment ("contains the control character U+0000"), or null.</summary>
    public static string? Check(string value, TextKind kind)
    {
        var at = FindForbidden(value, kind);
        return at < 0 ? null : $"contains the control character U+{(int)value[at]:X4} (at {at}); {Allowed(kind)}";
    }

    /// <summary>A client's value fit for an error message: control characters as '?', and cut after <paramref name="max"/> characters.</summary>
    public static string Quote(string value, int max = 200)
    {
        var shown = string.Create(Math.Min(value.Length, max), value, (span, text) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = char.IsControl(text[i]) ? '?' : text[i];
        });
        return value.Length > max ? shown + "…" : shown;
    }

    private static bool IsForbidden(char c, TextKind kind) => kind switch
    {
        TextKind.Content => c == '\0',
        TextKind.Text => char.IsControl(c) && c is not ('\t' or '\n' or '\r'),
        _ => char.IsControl(c), // C0, DEL and C1
    };

    private static string Allowed(TextKind kind) => kind switch
    {
        TextKind.Content => "NUL is not allowed",
        TextKind.Text => "only tab, CR and LF are allowed",
        _ => "no control characters are allowed",
    };
}
