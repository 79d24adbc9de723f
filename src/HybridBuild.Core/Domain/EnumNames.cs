using System.Text.Json;

namespace HybridBuild.Core.Domain;

/// <summary>
/// The names clients use for an enum's values (camelCase, matched without regard to case), and nothing else:
/// <see cref="Enum.TryParse{TEnum}(string?, bool, out TEnum)"/> also takes numbers and comma lists, which it ORs together
/// (<c>"queued,running"</c>, <c>"gitlab,generic"</c>).
/// </summary>
public static class EnumNames<T> where T : struct, Enum
{
    private static readonly Dictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v => JsonNamingPolicy.CamelCase.ConvertName(v.ToString()));
    private static readonly Dictionary<string, T> Values = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>The names, comma-separated, for an error that says what is allowed.</summary>
    public static string Allowed { get; } = string.Join(", ", Names.Values);

    public static bool TryParse(string? text, out T value)
    {
        value = default;
        return text is not null && Values.TryGetValue(text, out value);
    }

    public static string? NameOf(T value) => Names.GetValueOrDefault(value);
}
