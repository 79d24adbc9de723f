using HybridBuild.Api.Requests;
using HybridBuild.Application.Triggers;

namespace HybridBuild.Api.Endpoints;

/// <summary>Triggers (admin) and the webhook endpoint that providers deliver to (authenticated by signature, not by key).</summary>
internal static class TriggerEndpoints
{
    public static RouteGroupBuilder MapTriggers(this RouteGroupBuilder api)
    {
        var triggers = api.MapGroup("/triggers").WithTags("Triggers").RequireAuthorization(ApiScopes.Admin);
        triggers.MapPost("/", CreateAsync).WithName("CreateTrigger")
            .WithSummary("Create a trigger: a repository, a provider (github, gitlab, generic), branch and tag filters, a build spec and a webhook secret")
            .WithDescription("The answer carries webhookUrl, the address to give the provider. The secret is write-only. A matching push starts a build of the pushed commit with this spec (its source is set to the repository at that commit). "
                + "secrets lists the build secrets its builds may mount (none by default): whoever can push writes a spec file, so a spec naming any other secret fails the delivery instead of starting a build. "
                + "report ({token, apiUrl?, repository?, context?}) posts commit statuses of its builds to GitHub or GitLab; its token is write-only. notify (and spec.notify) lists receivers of its builds' events as signed webhooks.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        triggers.MapGet("/", ListAsync).WithName("ListTriggers").WithSummary("List triggers");
        triggers.MapGet("/{id:guid}", GetAsync).WithName("GetTrigger").WithSummary("A trigger").ProducesProblem(StatusCodes.Status404NotFound);
        triggers.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteTrigger").WithSummary("Delete a trigger and its delivery log");
        triggers.MapGet("/{id:guid}/deliveries", DeliveriesAsync).WithName("ListDeliveries")
            .WithSummary("The trigger's delivery log, newest first: each delivery, what it was, and the build it started");
        triggers.MapPost("/{id:guid}/deliveries/{deliveryId:guid}/replay", ReplayAsync).WithName("ReplayDelivery")
            .WithSummary("Start the build of a recorded push again (a new build of the same commit)")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/webhooks/{id:guid}", ReceiveAsync).WithName("ReceiveWebhook").WithTags("Triggers").AllowAnonymous()
            .WithSummary("A provider's webhook delivery: verified by its signature or token, then a matching push starts a build")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return api;
    }

    public sealed record TriggerResponse(Guid Id, string Name, string RepositoryUrl, TriggerProvider Provider, IReadOnlyList<string> Branches,
        IReadOnlyList<string> Tags, BuildSpec? Spec, string? SpecPath, IReadOnlyList<string> Secrets, IReadOnlyList<NotifySpec> Notify, TriggerReport? Report, DateTimeOffset CreatedAt, string WebhookUrl)
    {
        // the report's token is write-only: the settings shown are its API, repository and context
        public static TriggerResponse From(Trigger t) => new(t.Id, t.Name, GitUrl.Redact(t.RepositoryUrl), t.Provider, t.Branches, t.Tags,
            t.SpecPath is null ? t.Spec : null, t.SpecPath, t.Secrets, t.Notify, t.Report, t.CreatedAt, ApiLinks.Webhook(t.Id));
    }

    public sealed record DeliveryResponse(Guid Id, string DeliveryKey, string Event, string? Ref, string? Commit, DeliveryOutcome Outcome, string? Reason, Guid? BuildId, DateTimeOffset ReceivedAt)
    {
        public static DeliveryResponse From(TriggerDelivery d) => new(d.Id, d.DeliveryKey, d.Event, d.Ref, d.Commit, d.Outcome, d.Reason, d.BuildId, d.ReceivedAt);
    }

    private static async Task<Created<TriggerResponse>> CreateAsync(TriggerRequest? request, TriggerService triggers, CancellationToken cancellationToken)
    {
        var trigger = await triggers.CreateAsync(request ?? new TriggerRequest(), cancellationToken);
        return TypedResults.Created(ApiLinks.Trigger(trigger.Id), TriggerResponse.From(trigger));
    }

    private static async Task<Ok<List<TriggerResponse>>> ListAsync(TriggerService triggers, CancellationToken cancellationToken) =>
        TypedResults.Ok((await triggers.ListAsync(cancellationToken)).Select(TriggerResponse.From).ToList());

    private static async Task<Ok<TriggerResponse>> GetAsync(Guid id, TriggerService triggers, CancellationToken cancellationToken) =>
        TypedResults.Ok(TriggerResponse.From(await triggers.GetAsync(id, cancellationToken)));

    private static async Task<NoContent> DeleteAsync(Guid id, TriggerService triggers, CancellationToken cancellationToken)
    {
        await triggers.DeleteAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<DeliveryResponse>>> DeliveriesAsync(Guid id, TriggerService triggers, CancellationToken cancellationToken) =>
        TypedResults.Ok((await triggers.DeliveriesAsync(id, cancellationToken)).Select(DeliveryResponse.From).ToList());

    private static async Task<IResult> ReceiveAsync(Guid id, HttpRequest request, WebhookReceiver receiver, CancellationToken cancellationToken)
    {
        var body = await BoundedBody.ReadAsync(request.Body, WebhookReceiver.MaxPayloadBytes, "A delivery", cancellationToken, request.ContentLength);
        var headers = new WebhookHeaders(request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())));
        var (delivery, replayed) = await receiver.ReceiveAsync(id, headers, body, cancellationToken);
        return Answer(delivery, replayed);
    }

    private static async Task<IResult> ReplayAsync(Guid id, Guid deliveryId, WebhookReceiver receiver, CancellationToken cancellationToken) =>
        Answer(await receiver.ReplayAsync(id, deliveryId, cancellationToken), replayed: false);

    private static IResult Answer(TriggerDelivery delivery, bool replayed)
    {
        var body = DeliveryResponse.From(delivery);
        if (replayed) return TypedResults.Ok(body);
        if (delivery.Outcome == DeliveryOutcome.Queued) return TypedResults.Accepted(ApiLinks.TriggerDeliveries(delivery.TriggerId), body);
        return delivery.BuildId is { } build ? TypedResults.Accepted(ApiLinks.Build(build), body) : TypedResults.Ok(body);
    }
}
