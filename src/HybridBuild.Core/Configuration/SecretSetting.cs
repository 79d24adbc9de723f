namespace HybridBuild.Core.Configuration;

/// <summary>
/// A secret setting given either as a value or as the path of a file holding it (a mounted secret). The file wins
/// when it is set, and is read each time, so a rotated file counts without a restart where the caller reads late.
/// </summary>
public static class SecretSetting
{
    /// <summary>The file's content (without a trailing line break) when <paramref name="file"/> is set, else <paramref name="value"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is set but cannot be read; the message names the setting, never the content.</exception>
    public static string? Resolve(string? value, string? file, string setting)
    {
        if (string.IsNullOrEmpty(file)) return string.IsNullOrEmpty(value) ? null : value;
        try
        {
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{setting} names a file that cannot be read ({e.GetType().Name}).", e);
        }
    }

    /// <summary>What a configuration dump may show of a secret setting.</summary>
    public static string Describe(string? value, string? file) =>
        !string.IsNullOrEmpty(file) ? $"(file {file})" : string.IsNullOrEmpty(value) ? "(none)" : "(set)";
}
