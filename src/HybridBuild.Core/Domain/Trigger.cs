namespace HybridBuild.Core.Domain;

public enum TriggerProvider { Github, Gitlab, Generic }

/// <summary>
/// What a delivery led to: queued (its spec file is still to be read, by a job), started (a build), ignored (a ping,
/// or a push no filter matches) or failed (with a reason).
/// </summary>
public enum DeliveryOutcome { Queued, Running, Started, Ignored, Failed }

/// <summary>
/// Starts a build of a repository when its webhook reports a matching push. The webhook secret is encrypted at rest
/// and write-only; the build spec is kept inline (its source is set to the pushed commit).
/// </summary>
public sealed class Trigger
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string RepositoryUrl { get; set; } = "";
    public TriggerProvider Provider { get; set; }
    /// <summary>Branch patterns (<c>main</c>, <c>release/*</c>); empty with no tags means every branch.</summary>
    public List<string> Branches { get; set; } = [];
    public List<string> Tags { get; set; } = [];
    public BuildSpec Spec { get; set; } = new();
    /// <summary>Instead of <see cref="Spec"/>: the path of a spec file (JSON) in the repository, read at the pushed commit.</summary>
    public string? SpecPath { get; set; }
    public byte[] SecretCiphertext { get; set; } = [];
    /// <summary>
    /// The build secrets its builds may mount, set by the admin who creates it; none by default. Whoever can push
    /// controls a spec file, so the spec's own list is checked against this one, never trusted.
    /// </summary>
    public List<string> Secrets { get; set; } = [];
    /// <summary>Receivers of every build's events, beside those its spec (inline or file) names.</summary>
    public List<Specs.NotifySpec> Notify { get; set; } = [];
    /// <summary>Commit statuses its builds post to the provider; null when it reports nothing.</summary>
    public TriggerReport? Report { get; set; }
    /// <summary>The report's API token, encrypted like the webhook secret; write-only.</summary>
    public byte[]? ReportTokenCiphertext { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// Where a trigger's builds post commit statuses: the provider's API (GitHub Enterprise, self-managed GitLab), the
/// repository there (<c>owner/repo</c>, or GitLab's <c>namespace/project</c> path) and the status's context name.
/// </summary>
public sealed record TriggerReport(string ApiUrl, string Repository, string Context);

/// <summary>One webhook delivery a trigger accepted, and what it led to.</summary>
public sealed class TriggerDelivery : ILeased
{
    public Guid Id { get; set; }
    public Guid TriggerId { get; set; }
    /// <summary>The provider's delivery id (X-GitHub-Delivery, X-Gitlab-Event-UUID, Idempotency-Key).</summary>
    public string DeliveryKey { get; set; } = "";
    /// <summary>
    /// SHA-256 (hex) of the signed content, unique per trigger: a captured delivery re-sent under a new delivery id is a
    /// duplicate. Null for a manual replay, which starts a new build on purpose.
    /// </summary>
    public string? ContentSha256 { get; set; }
    public string Event { get; set; } = "";
    public string? Ref { get; set; }
    public string? Commit { get; set; }
    public DeliveryOutcome Outcome { get; set; }
    public string? Reason { get; set; }
    public Guid? BuildId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    public string? JobId { get; set; }
    public Guid? RunId { get; set; }
    public Guid? NodeId { get; set; }
    public DateTimeOffset? HeartbeatAt { get; set; }
    public int Attempts { get; set; }
}
