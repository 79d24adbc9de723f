namespace HybridBuild.Application.Notifications;

/// <summary>
/// The commit status requests of GitHub (<c>POST /repos/{owner}/{repo}/statuses/{sha}</c>) and GitLab
/// (<c>POST /projects/:id/statuses/:sha</c>): their URLs, their states for a build's status, and their bodies.
/// </summary>
internal static class CommitStatuses
{
    /// <summary>GitHub's limit on a status's description.</summary>
    public const int MaxDescription = 140;

    public const string GithubApi = "https://api.github.com";

    /// <summary>The default API of a trigger's provider: GitHub's, or the GitLab host's <c>/api/v4</c>.</summary>
    public static string? DefaultApiUrl(TriggerProvider provider, string repositoryUrl) => provider switch
    {
        TriggerProvider.Github => GithubApi,
        TriggerProvider.Gitlab => GitUrl.Host(repositoryUrl) is { Length: > 0 } host ? $"https://{host}/api/v4" : null,
        _ => null,
    };

    /// <summary>The repository's path on its host (<c>owner/repo</c>, <c>group/sub/project</c>), without <c>.git</c>; null when it has none.</summary>
    public static string? RepositoryPath(string repositoryUrl)
    {
        var path = repositoryUrl.Contains("://", StringComparison.Ordinal)
            ? Uri.TryCreate(repositoryUrl, UriKind.Absolute, out var uri) ? uri.AbsolutePath : ""
            : repositoryUrl[(repositoryUrl.IndexOf(':') + 1)..]; // scp-like git@host:owner/repo.git
        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) path = path[..^4];
        return IsRepositoryPath(path) ? path : null;
    }

    /// <summary>Two or more segments of letters, digits, '.', '_' and '-'.</summary>
    public static bool IsRepositoryPath(string? path) =>
        path is { Length: > 0 and <= 255 } && path.Split('/') is { Length: >= 2 } segments
        && segments.All(s => s.Length > 0 && s != "." && s != ".." && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'));

    public static NotificationKind KindOf(TriggerProvider provider) =>
        provider == TriggerProvider.Gitlab ? NotificationKind.GitlabStatus : NotificationKind.GithubStatus;

    public static string Url(NotificationKind kind, TriggerReport report, string sha) => kind == NotificationKind.GitlabStatus
        ? $"{report.ApiUrl.TrimEnd('/')}/projects/{Uri.EscapeDataString(report.Repository)}/statuses/{sha}"
        : $"{report.ApiUrl.TrimEnd('/')}/repos/{report.Repository}/statuses/{sha}";

    public static string State(NotificationKind kind, BuildStatus status) => (kind, status) switch
    {
        (_, BuildStatus.Queued) => "pending",
        (NotificationKind.GitlabStatus, BuildStatus.Running) => "running",
        (_, BuildStatus.Running) => "pending",
        (_, BuildStatus.Succeeded) => "success",
        (NotificationKind.GitlabStatus, BuildStatus.Failed) => "failed",
        (_, BuildStatus.Failed) => "failure",
        (NotificationKind.GitlabStatus, BuildStatus.Cancelled) => "canceled",
        _ => "error",
    };

    public static string Body(NotificationKind kind, BuildStatus status, string? targetUrl, string context, Guid buildId)
    {
        var description = Clip($"Build {buildId} {status.ToString().ToLowerInvariant()}");
        var state = State(kind, status);
        return kind == NotificationKind.GitlabStatus
            ? JsonSerializer.Serialize(new { state, target_url = targetUrl, name = context, description }, OmitNulls)
            : JsonSerializer.Serialize(new { state, target_url = targetUrl, description, context }, OmitNulls);
    }

    // no target_url without Notifications:PublicUrl: the providers take a status without one
    private static readonly JsonSerializerOptions OmitNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static string Clip(string text) => text.Length > MaxDescription ? text[..MaxDescription] : text;
}
