namespace HybridBuild.Core.Specs;

/// <summary>Validation errors by field, in the JSON path form a client sees.</summary>
internal sealed class ErrorBag
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    /// <summary>
    /// Adds an error when <paramref name="value"/> holds a character <paramref name="kind"/> forbids or is longer
    /// than <paramref name="maxLength"/> (the column or tool it ends up in); true when it passes. With
    /// <paramref name="quote"/> the message starts with the value, for fields that hold several (a map's keys).
    /// </summary>
    public bool CheckText(string field, string value, TextKind kind, int maxLength, bool quote = false)
    {
        var problem = TextRules.Check(value, kind)
            ?? (value.Length > maxLength ? $"is longer than {maxLength} characters" : null);
        if (problem is null) return true;
        Add(field, quote ? $"'{TextRules.Quote(value)}' {problem}" : problem);
        return false;
    }

    /// <summary>Adds an error for a null element of a list; true when there is one.</summary>
    public bool IsNull<T>(string field, T? value, string expected) where T : class
    {
        if (value is not null) return false;
        Add(field, $"must be {expected}, not null");
        return true;
    }

    public IReadOnlyDictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
