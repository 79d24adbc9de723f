using System.Text.RegularExpressions;

namespace HybridBuild.Application.Triggers;

/// <summary>What a verified delivery says: its id, the event, and for a push the ref and commit.</summary>
internal sealed partial record WebhookEvent(string DeliveryKey, string Event, bool IsPing, bool IsPush, string? Ref, string? Commit)
{
    private const string NoCommit = "0000000000000000000000000000000000000000";

    public static WebhookEvent Parse(TriggerProvider provider, WebhookHeaders headers, byte[] body)
    {
        using var json = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
        var root = json.RootElement;
        string? Text(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var (delivery, name) = provider switch
        {
            TriggerProvider.Github => (headers["X-GitHub-Delivery"], headers["X-GitHub-Event"]),
            TriggerProvider.Gitlab => (headers["X-Gitlab-Event-UUID"], headers["X-Gitlab-Event"]),
            _ => (headers["Idempotency-Key"], "push"),
        };
        var commit = provider switch
        {
            TriggerProvider.Github => Text("after"),
            TriggerProvider.Gitlab => Text("checkout_sha"),
            _ => Text("commit"),
        };
        // a deleted branch or tag, or anything that is not a commit id (never stored: it is the sender's text)
        if (commit == NoCommit || commit is not null && !CommitId().IsMatch(commit)) commit = null;
        var isPush = provider switch
        {
            TriggerProvider.Github => name == "push",
            TriggerProvider.Gitlab => name is "Push Hook" or "Tag Push Hook",
            _ => true,
        };
        if (string.IsNullOrEmpty(delivery)) delivery = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        return new WebhookEvent(delivery.Length > 200 ? delivery[..200] : delivery, name, provider == TriggerProvider.Github && name == "ping", isPush, Text("ref"), commit);
    }

    /// <summary>Why this push starts no build, or null when it matches the trigger's filters.</summary>
    public string? Mismatch(Trigger trigger)
    {
        if (IsPing) return "ping";
        if (!IsPush) return $"event '{Event}' is not a push";
        if (Commit is null) return "the push has no commit (a deleted branch or tag)";
        if (Ref?.StartsWith("refs/heads/", StringComparison.Ordinal) == true)
        {
            var branch = Ref["refs/heads/".Length..];
            var patterns = trigger.Branches.Count == 0 && trigger.Tags.Count == 0 ? ["**"] : trigger.Branches;
            return patterns.Any(p => RefPattern.IsMatch(p, branch)) ? null : $"branch '{branch}' matches no branch filter";
        }
        if (Ref?.StartsWith("refs/tags/", StringComparison.Ordinal) == true)
        {
            var tag = Ref["refs/tags/".Length..];
            return trigger.Tags.Any(p => RefPattern.IsMatch(p, tag)) ? null : $"tag '{tag}' matches no tag filter";
        }
        return $"ref '{Ref}' is neither a branch nor a tag";
    }

    [GeneratedRegex("^[0-9a-f]{40}([0-9a-f]{24})?$")]
    private static partial Regex CommitId();
}
