using HybridBuild.Application.Notifications;

namespace HybridBuild.Api.Endpoints;

/// <summary>A build's delivery log: the commit statuses and signed webhooks its state changes owed, and how each went.</summary>
internal static class NotificationEndpoints
{
    public static RouteGroupBuilder MapNotifications(this RouteGroupBuilder api)
    {
        api.MapGet("/builds/{id:guid}/notifications", ListAsync).WithName("ListBuildNotifications").WithTags("Builds")
            .RequireAuthorization(ApiScopes.BuildsRead)
            .WithSummary("The build's notifications, oldest first: commit statuses and signed webhooks, each with its attempts and outcome")
            .WithDescription("status is pending (waiting for its next attempt, at nextAttemptAt), sending, delivered or failed (every attempt used). "
                + "A failed attempt is retried with exponential back-off (Notifications:FirstRetryDelay, doubling, up to Notifications:MaxAttempts).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public sealed record NotificationResponse(Guid Id, string Event, NotificationKind Kind, string Url, NotificationStatus Status, int Attempts,
        int? StatusCode, string? Error, DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
    {
        public static NotificationResponse From(Notification n) => new(n.Id, n.Event, n.Kind, n.Url, n.Status, n.Attempts, n.LastStatusCode, n.LastError,
            n.Status == NotificationStatus.Pending ? n.NextAttemptAt : null, n.CreatedAt, n.FinishedAt);
    }

    private static async Task<Ok<List<NotificationResponse>>> ListAsync(Guid id, NotificationLifecycle notifications, CancellationToken cancellationToken) =>
        TypedResults.Ok((await notifications.OfBuildAsync(id, cancellationToken)).Select(NotificationResponse.From).ToList());
}
