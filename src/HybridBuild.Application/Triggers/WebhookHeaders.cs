namespace HybridBuild.Application.Triggers;

/// <summary>A delivery's HTTP headers, by case-insensitive name; a missing header reads as empty.</summary>
public sealed class WebhookHeaders(IEnumerable<KeyValuePair<string, string>> headers)
{
    private readonly Dictionary<string, string> _values = headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);

    public string this[string name] => _values.GetValueOrDefault(name, "");
}
