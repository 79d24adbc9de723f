using System.Text.RegularExpressions;

namespace HybridBuild.Application.Publications;

/// <summary>
/// Destination paths and property values with placeholders: {buildId}, {stage}, {platform}, {path} (the artifact's
/// path in its stage), {file} (its file name), {commit} and {ref} (the git source's).
/// </summary>
internal static partial class PathTemplate
{
    public static readonly string[] Placeholders = ["buildId", "stage", "platform", "path", "file", "commit", "ref"];

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex Placeholder();

    /// <summary>Null when every placeholder is known, else the first unknown one.</summary>
    public static string? Unknown(string template) =>
        Placeholder().Matches(template).Select(m => m.Groups[1].Value).FirstOrDefault(name => !Placeholders.Contains(name));

    public static string Render(string template, IReadOnlyDictionary<string, string?> values) =>
        Placeholder().Replace(template, m => values.GetValueOrDefault(m.Groups[1].Value) ?? "");

    /// <summary>A rendered destination must stay a clean relative path inside the repository.</summary>
    public static bool IsSafe(string path) =>
        path.Length is > 0 and <= 1024 && !path.StartsWith('/') && !path.Contains('\\') && !path.Any(char.IsControl)
        && path.Split('/').All(segment => segment is not ("" or "." or ".."));
}
