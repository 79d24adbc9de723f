using System.Text.RegularExpressions;

namespace HybridBuild.Core.Specs;

/// <summary>Checks and redacts git repository URLs.</summary>
public static class GitUrl
{
    private static readonly string[] AllowedSchemes = ["https", "http", "ssh", "git"];

    /// <summary>Returns null when the URL is acceptable, else why not.</summary>
    public static string? Check(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "is required";
        if (url.Length > 2048) return "is longer than 2048 characters";
        if (TextRules.FindForbidden(url, TextKind.Name) >= 0) return "must not contain control characters";
        if (url.StartsWith('-')) return "must not start with '-'";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            // scp-like ssh syntax: user@host:path/repo.git
            return IsScpLike(url) ? null : "is not a URL (use https, http, ssh or git)";
        }
        if (!AllowedSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
            return $"has scheme '{uri.Scheme}'; allowed are {string.Join(", ", AllowedSchemes)}";
        if (string.IsNullOrEmpty(uri.Host)) return "has no host";
        if (uri.UserInfo.Contains(':'))
            return "must not carry a password: credentials in URLs end up in logs and records";
        // git hands ssh everything up to the first '/' and ssh connects to what follows the last '@', so
        // ssh://good?@169.254.169.254/ would reach another host than the one checked: such authorities are refused
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        if (separator < 0) return "is not a URL (use https, http, ssh or git)"; // git reads 'https:host' as scp-like ssh to 'https'
        var authority = url[(separator + 3)..].Split('/', 2)[0];
        if (authority.IndexOfAny(['?', '#', '\\']) >= 0 || authority.Count(c => c == '@') > 1)
            return "has an ambiguous host part (a '?', '#', '\\' or a second '@' before the path)";
        return null;
    }

    // user@host:path or user@[address]:path, as git reads it; anything looser (a second '@', a '?') git and ssh read differently
    private static readonly Regex ScpLike = new(@"^(?<user>[^@\[\]/:?#\\\s]+)@(?<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(?<path>[^\s]+)\z", RegexOptions.CultureInvariant);

    private static bool IsScpLike(string url) => !url.Contains("://") && ScpLike.IsMatch(url);

    /// <summary>The host a checked URL points at (also for scp-like <c>user@host:path</c>).</summary>
    public static string Host(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host)) return uri.Host;
        var scp = ScpLike.Match(url);
        return scp.Success ? scp.Groups["host"].Value : "";
    }

    /// <summary>The URL with any user information replaced, fit for logs.</summary>
    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "***", Password = "" }.Uri.ToString()
            : url;
}
