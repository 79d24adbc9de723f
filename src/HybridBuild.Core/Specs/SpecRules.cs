using System.Text.RegularExpressions;

namespace HybridBuild.Core.Specs;

/// <summary>
/// The grammar of the names and references a spec may contain. Patterns end in <c>\z</c>, not <c>$</c>, which
/// also matches before a final newline ("main\n" was a valid ref).
/// </summary>
public static partial class SpecRules
{
    public const int MaxStages = 64;
    public const int MaxBuildArgs = 200;
    public const int MaxBuildArgLength = 32 * 1024;
    public const int MaxBuildArgNameLength = 128;
    public const int MaxPlatforms = 16;
    public const int MaxTags = 32;
    /// <summary>Most stages a spec may expand into once its matrix stages are expanded.</summary>
    public const int MaxExpandedStages = 256;

    /// <summary>
    /// Longest <c>timeout</c> a stage may ask for. A run takes up to its timeout plus Worker:StopGrace, and the transport
    /// hands a job that has been out for 3 hours (HybridBuild.Application's InvisibilityTimeout) to another server.
    /// </summary>
    public static readonly TimeSpan MaxStageTimeout = TimeSpan.FromHours(2.5);

    /// <summary>Longest <c>queueTtl</c> a stage may ask for; without one it waits as long as Worker:QueueTtl (by default, forever).</summary>
    public static readonly TimeSpan MaxQueueTtl = TimeSpan.FromDays(7);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\\z")]
    public static partial Regex StageName();

    // A matrix axis value: what a stage name may hold after its first character, as the value becomes part of one.
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,62}\\z")]
    public static partial Regex MatrixValue();

    // Dockerfile stage names: a letter first, then letters, digits, '_', '-', '.'.
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]{0,127}\\z")]
    public static partial Regex Target();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}\\z")]
    public static partial Regex BuildArgName();

    /// <summary>A container runtime's name as Docker lists it (<c>runc</c>, <c>io.containerd.wasmedge.v1</c>).</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\\z")]
    public static partial Regex RuntimeName();

    // os/arch[/variant], as BuildKit's platform parser accepts them (lower case).
    [GeneratedRegex("^[a-z0-9_]+/[a-z0-9_]+(/[a-z0-9_.]+)?\\z")]
    public static partial Regex Platform();

    // The distribution reference grammar: [domain[:port]/]path[:tag]; digests are not tags.
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?/)?[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?\z")]
    public static partial Regex ImageReference();

    // Branch, tag or commit; git's own rules are stricter, this keeps options and shell tricks out.
    [GeneratedRegex(@"^(?!-)(?!.*\.\.)[A-Za-z0-9._/@+-]{1,255}\z")]
    public static partial Regex GitRef();

    // [-][d.]hh:mm:ss, hours up to three digits so that 24:00:00 is a day; the d. form is how TimeSpan writes a day or more
    [GeneratedRegex(@"^(-?)(?:([0-9]{1,3})\.)?([0-9]{1,3}):([0-5][0-9]):([0-5][0-9])\z")]
    private static partial Regex Duration();

    /// <summary>
    /// A spec's duration: <c>hh:mm:ss</c> (hours may pass 23), optionally after <c>d.</c> days, which is how the build
    /// record shows a day or more; null when <paramref name="text"/> is not one. Sign and range are the caller's to check.
    /// </summary>
    public static TimeSpan? ParseDuration(string text)
    {
        if (Duration().Match(text) is not { Success: true } m) return null;
        int Part(int group) => m.Groups[group].Success ? int.Parse(m.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var value = new TimeSpan(Part(2), Part(3), Part(4), Part(5));
        return m.Groups[1].Value == "-" ? -value : value;
    }

    /// <summary>A duration the way a spec writes it: hh:mm:ss, hours past 23 included (168:00:00 for a week).</summary>
    public static string FormatDuration(TimeSpan value) => $"{(long)value.TotalHours:00}:{value.Minutes:00}:{value.Seconds:00}";

    // Build secret names: what BuildKit accepts as a secret id, and safe in a URL path.
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}\\z")]
    public static partial Regex SecretName();

    public static bool IsSecretName(string? name) => name is not null && SecretName().IsMatch(name) && name is not "." and not "..";

    /// <summary>True for a non-empty relative path of at most 1024 characters with no '.' or '..' segment, no backslash and no control character.</summary>
    public static bool IsSafeRelativePath(string? path) => path?.Length <= 1024 && IsRelativeInside(path);

    /// <summary><see cref="IsSafeRelativePath"/> at any length, for paths bounded otherwise (inline files, by <see cref="PathRules"/>).</summary>
    internal static bool IsRelativeInside(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return false;
        if (path.StartsWith('/') || path.Contains('\\') || path.Any(char.IsControl)) return false;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length > 0 && segments.All(s => s != ".." && s != ".");
    }

    /// <summary>Platform as a folder name, the way BuildKit's local exporter splits platforms.</summary>
    public static string PlatformFolder(string platform) => platform.Replace('/', '_');
}
