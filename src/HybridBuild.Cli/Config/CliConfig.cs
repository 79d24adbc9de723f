using HybridBuild.Cli.Commands;

namespace HybridBuild.Cli.Config;

/// <summary>
/// Where the service is and the API key to send it: <c>--url</c>/<c>--token</c>, else <c>HBS_URL</c>/<c>HBS_TOKEN</c>, else
/// the config file (<c>$XDG_CONFIG_HOME/hbs/config.json</c> or <c>~/.config/hbs/config.json</c>: <c>{"url": …, "token": …}</c>).
/// The token is never printed.
/// </summary>
internal sealed record CliConfig(Uri Url, string? Token)
{
    public const string UrlVariable = "HBS_URL", TokenVariable = "HBS_TOKEN";

    public static string FilePath
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = string.IsNullOrEmpty(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config")
                : xdg;
            return Path.Combine(root, "hbs", "config.json");
        }
    }

    /// <summary>Resolves the settings; warnings (a token on the command line, a config file others can read) go to <paramref name="warn"/>.</summary>
    public static CliConfig Resolve(string? urlFlag, string? tokenFlag, Action<string> warn)
    {
        if (tokenFlag is not null)
            warn($"warning: a token given with --token is visible to other users of this machine (ps); prefer {TokenVariable} or {FilePath}");
        var (fileUrl, fileToken) = ReadFile(warn);
        var url = urlFlag ?? NonEmpty(Environment.GetEnvironmentVariable(UrlVariable)) ?? fileUrl
            ?? throw new UsageException($"no service address: set {UrlVariable}, pass --url, or write {{\"url\": …}} into {FilePath}");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"the service address '{url}' is not an http(s) URL");
        // a service under a path (https://host/hbs) keeps it: relative API paths resolve below the base only with its final '/'
        if (!uri.AbsolutePath.EndsWith('/')) uri = new UriBuilder(uri) { Path = uri.AbsolutePath + "/" }.Uri;
        var token = tokenFlag ?? NonEmpty(Environment.GetEnvironmentVariable(TokenVariable)) ?? fileToken;
        if (token is not null && uri.Scheme == "http" && !uri.IsLoopback)
            warn($"warning: {uri.Host} is reached over plain http: the token crosses the network readable; use https");
        return new CliConfig(uri, token);
    }

    private static (string? Url, string? Token) ReadFile(Action<string> warn)
    {
        var path = FilePath;
        if (!File.Exists(path)) return (null, null);
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            warn($"warning: {path} can be read or written by other users; it holds an API key: chmod 600 {path}");
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new UsageException($"{path} is not a JSON object");
            return (NonEmpty(json["url"]?.ToString()), NonEmpty(json["token"]?.ToString()));
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path} is not valid JSON: {e.Message}");
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
