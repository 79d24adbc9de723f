namespace HybridBuild.Api.Contracts;

/// <summary>Every <c>/api/v1/...</c> address an answer gives (Location headers, links), in one place.</summary>
internal static class ApiLinks
{
    public const string Root = "/api/v1";

    public static string Build(Guid id) => $"{Root}/builds/{id}";
    public static string BuildLogs(Guid id) => $"{Build(id)}/logs";
    public static string BuildArtifacts(Guid id) => $"{Build(id)}/artifacts";
    public static string BuildCancel(Guid id) => $"{Build(id)}/cancel";
    public static string BuildRetry(Guid id) => $"{Build(id)}/retry";
    public static string BuildPin(Guid id) => $"{Build(id)}/pin";
    public static string BuildNotifications(Guid id) => $"{Build(id)}/notifications";

    public static string Artifact(Guid buildId, string stage, string path) =>
        $"{BuildArtifacts(buildId)}/{Uri.EscapeDataString(stage)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}";

    public static string Publication(Guid id) => $"{Root}/publications/{id}";
    public static string Trigger(Guid id) => $"{Root}/triggers/{id}";
    public static string TriggerDeliveries(Guid id) => $"{Trigger(id)}/deliveries";
    public static string Webhook(Guid triggerId) => $"{Root}/webhooks/{triggerId}";
    public static string Key(Guid id) => $"{Root}/keys/{id}";
}
