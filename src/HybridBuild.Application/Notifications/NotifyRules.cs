namespace HybridBuild.Application.Notifications;

/// <summary>What a spec's <c>notify</c> may hold: a few receivers, each an http(s) URL the outbound policy allows, and known events.</summary>
internal static class NotifyRules
{
    public const int MaxReceivers = 10;
    public const int MaxUrlLength = 2048;

    /// <summary>The errors, keyed by field (<c>{prefix}notify[i].url</c>); empty when the list is fine.</summary>
    public static async Task<Dictionary<string, string[]>> CheckAsync(List<NotifySpec>? notify, string prefix, OutboundPolicy network,
        NotificationOptions options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (notify is not { Count: > 0 }) return errors;
        if (notify.Count > MaxReceivers) errors[$"{prefix}notify"] = [$"may list at most {MaxReceivers} receivers"];
        else if (options.ResolvedSigningSecret is null) errors[$"{prefix}notify"] = ["the service has no Notifications:SigningSecret to sign notifications with"];
        for (var i = 0; i < notify.Count && errors.Count == 0; i++)
        {
            var field = $"{prefix}notify[{i}]";
            if (notify[i]?.Url is not { Length: > 0 and <= MaxUrlLength } text || !Uri.TryCreate(text, UriKind.Absolute, out var url)
                || url.Scheme is not ("http" or "https") || url.UserInfo.Length > 0)
                errors[$"{field}.url"] = [$"must be an http or https URL of at most {MaxUrlLength} characters, without user information"];
            else if (await network.CheckAsync(url.Host, cancellationToken) is { } refused)
                errors[$"{field}.url"] = [refused];
            var events = notify[i]?.Events ?? [];
            for (var e = 0; e < events.Count; e++)
                if (!NotifySpec.KnownEvents.Contains(events[e]))
                    errors[$"{field}.events[{e}]"] = [$"must be one of: {string.Join(", ", NotifySpec.KnownEvents)}"];
        }
        return errors;
    }
}
