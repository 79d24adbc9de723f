namespace HybridBuild.Core.Domain;

/// <summary>Where a notification goes: a Standard Webhooks receiver, or a commit status on GitHub or GitLab.</summary>
public enum NotificationKind { Webhook, GithubStatus, GitlabStatus }

/// <summary>Pending (waiting for its job, or its next attempt), sending (a run holds it), delivered, or failed for good.</summary>
public enum NotificationStatus { Pending, Sending, Delivered, Failed }

/// <summary>
/// One report of a build's state change to one receiver: its request is fixed when the change happens, and sent by a
/// job, again with back-off until it is delivered or has used its attempts. A commit status's token is read from its
/// trigger at each attempt; a webhook is signed at each attempt. Neither secret is stored here.
/// </summary>
public sealed class Notification : ILeased
{
    public Guid Id { get; set; }
    public Guid BuildId { get; set; }
    public NotificationKind Kind { get; set; }
    /// <summary>The build event: <c>build.queued</c>, <c>build.started</c>, <c>build.succeeded</c>, <c>build.failed</c>, <c>build.cancelled</c>.</summary>
    public string Event { get; set; } = "";
    /// <summary>The URL the request is posted to.</summary>
    public string Url { get; set; } = "";
    /// <summary>The JSON body posted.</summary>
    public string Body { get; set; } = "";
    /// <summary>For a commit status: the trigger whose token authorises it.</summary>
    public Guid? TriggerId { get; set; }
    public NotificationStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the next attempt is due (pending), or when the last one was made.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }

    public string? JobId { get; set; }
    public Guid? RunId { get; set; }
    public Guid? NodeId { get; set; }
    public DateTimeOffset? HeartbeatAt { get; set; }
    public int Attempts { get; set; }
}
