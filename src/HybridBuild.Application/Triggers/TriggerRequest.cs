namespace HybridBuild.Application.Triggers;

/// <summary>A trigger to create: a repository, a provider, branch and tag filters, a spec (inline or a file in the repository), a secret, the build secrets its builds may mount.</summary>
public sealed record TriggerRequest
{
    public string? Name { get; init; }
    public string? RepositoryUrl { get; init; }
    public string? Provider { get; init; }
    public List<string>? Branches { get; init; }
    public List<string>? Tags { get; init; }
    public BuildSpec? Spec { get; init; }
    /// <summary>Instead of spec: a JSON spec file in the repository, read at each pushed commit.</summary>
    public string? SpecPath { get; init; }
    public string? Secret { get; init; }
    /// <summary>The build secrets its builds may mount (none when absent); a spec naming any other fails the delivery.</summary>
    public List<string?>? Secrets { get; init; }
    /// <summary>Receivers of every build's events (signed webhooks), beside those the spec or spec file names.</summary>
    public List<NotifySpec>? Notify { get; init; }
    /// <summary>Commit statuses its builds post to GitHub or GitLab; none when absent.</summary>
    public TriggerReportRequest? Report { get; init; }
}

/// <summary>
/// A trigger's commit statuses: the API token (write-only), the API's base URL (https://api.github.com, or the GitLab
/// host's /api/v4, by default), the repository there (from the repository URL by default) and the status's context name
/// (<c>hybridbuild/{trigger name}</c> by default).
/// </summary>
public sealed record TriggerReportRequest
{
    public string? Token { get; init; }
    public string? ApiUrl { get; init; }
    public string? Repository { get; init; }
    public string? Context { get; init; }
}
