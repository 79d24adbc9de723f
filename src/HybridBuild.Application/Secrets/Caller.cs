namespace HybridBuild.Application.Secrets;

/// <summary>
/// Who submits a build, as build secrets' grants see it: an API key (its id, none for the configured admin key, and
/// its name) or a trigger. The host maps its authenticated principal to this; the use cases never see HTTP types.
/// </summary>
public sealed record Caller(Guid? KeyId, string Name, bool IsAdmin)
{
    /// <summary>
    /// Set for a trigger's builds: exactly the secrets its admin listed, whatever the secrets' own grants say
    /// (a spec file is written by whoever can push, so it names secrets; it does not grant them).
    /// </summary>
    public IReadOnlyList<string>? TriggerSecrets { get; init; }

    /// <summary>Set for a trigger's builds: the trigger, whose report settings post the build's commit statuses.</summary>
    public Guid? TriggerId { get; init; }

    public static Caller ForTrigger(Trigger trigger) => new(null, $"trigger '{trigger.Name}'", false) { TriggerSecrets = trigger.Secrets, TriggerId = trigger.Id };
}
