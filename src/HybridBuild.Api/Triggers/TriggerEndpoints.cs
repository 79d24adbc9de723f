using System.Security.Cryptography;
using Hangfire;
using System.Text;
using System.Text.Json;
using HybridBuild.Api.Contracts;
using HybridBuild.Api.Secrets;
using HybridBuild.Api.Submissions;
using HybridBuild.Core.Domain;
using HybridBuild.Core.Errors;
using HybridBuild.Core.Network;
using HybridBuild.Core.Specs;
using HybridBuild.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace HybridBuild.Api.Triggers;

/// <summary>Triggers (admin) and the webhook endpoint that providers deliver to (authenticated by signature, not by key).</summary>
internal static class TriggerEndpoints
{
    public const int MaxPayloadBytes = 1 << 20;

    public static RouteGroupBuilder MapTriggers(this RouteGroupBuilder api)
    {
        var triggers = api.MapGroup("/triggers").WithTags("Triggers").RequireAuthorization(ApiScopes.Admin);
        triggers.MapPost("/", CreateAsync).WithName("CreateTrigger")
            .WithSummary("Create a trigger: a repository, a provider (github, gitlab, generic), branch and tag filters, a build spec and a webhook secret")
            .WithDescription("The answer carries webhookUrl, the address to give the provider. The secret is write-only. A matching push starts a build of the pushed commit with this spec (its source is set to the repository at that commit).")
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
    }

    public sealed record TriggerResponse(Guid Id, string Name, string RepositoryUrl, TriggerProvider Provider, IReadOnlyList<string> Branches,
        IReadOnlyList<string> Tags, BuildSpec? Spec, string? SpecPath, DateTimeOffset CreatedAt, string WebhookUrl)
    {
        public static TriggerResponse From(Trigger t) => new(t.Id, t.Name, GitUrl.Redact(t.RepositoryUrl), t.Provider, t.Branches, t.Tags,
            t.SpecPath is null ? t.Spec : null, t.SpecPath, t.CreatedAt, $"/api/v1/webhooks/{t.Id}");
    }

    public sealed record DeliveryResponse(Guid Id, string DeliveryKey, string Event, string? Ref, string? Commit, string Outcome, string? Reason, Guid? BuildId, DateTimeOffset ReceivedAt)
    {
        public static DeliveryResponse From(TriggerDelivery d) => new(d.Id, d.DeliveryKey, d.Event, d.Ref, d.Commit, d.Outcome, d.Reason, d.BuildId, d.ReceivedAt);
    }

    private static BadRequestException Invalid(string detail, string field) => new("validation", "The trigger is not valid.", detail, field);

    private static async Task<Created<TriggerResponse>> CreateAsync(TriggerRequest? request, BuildDbContext db, SecretCipher cipher, OutboundPolicy network,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        request ??= new TriggerRequest();
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100) throw Invalid("name is required: 1 to 100 characters.", "name");
        if (GitUrl.Check(request.RepositoryUrl) is { } urlError) throw Invalid($"repositoryUrl {urlError}.", "repositoryUrl");
        if (await network.CheckAsync(GitUrl.Host(request.RepositoryUrl!), cancellationToken) is { } refused) throw Invalid($"repositoryUrl {refused}.", "repositoryUrl");
        if (!Enum.TryParse<TriggerProvider>(request.Provider, ignoreCase: true, out var provider) || int.TryParse(request.Provider, out _))
            throw Invalid("provider must be one of: github, gitlab, generic.", "provider");
        if (request.Secret is not { Length: >= 16 and <= 256 }) throw Invalid("secret is required: 16 to 256 characters.", "secret");
        var patterns = (request.Branches ?? []).Concat(request.Tags ?? []).ToList();
        if (patterns.Any(p => string.IsNullOrWhiteSpace(p) || p.Length > 255)) throw Invalid("branch and tag filters must be 1 to 255 characters.", "branches");
        if ((request.Spec is null) == (request.SpecPath is null)) throw Invalid("give either spec (inline) or specPath (a file in the repository).", "spec");
        if (request.SpecPath is not null && !SpecRules.IsSafeRelativePath(request.SpecPath)) throw Invalid("specPath must be a relative path inside the repository.", "specPath");
        var spec = (request.Spec ?? new BuildSpec()) with { Source = new SourceSpec { Git = new GitSourceSpec { Url = request.RepositoryUrl, Ref = "main" } } };
        var errors = request.Spec is null ? new Dictionary<string, string[]>() : SpecValidator.Validate(spec, false, out _);
        if (errors.Count > 0) throw new SpecValidationException(errors.ToDictionary(e => "spec." + e.Key, e => e.Value));
        if (!cipher.Configured)
            throw new ConflictException("secrets-not-configured", "Webhook secrets cannot be stored.", "The service has no Secrets:MasterKey to encrypt the webhook secret with.");
        var trigger = new Trigger
        {
            Id = Guid.CreateVersion7(), Name = name, RepositoryUrl = request.RepositoryUrl!, Provider = provider,
            Branches = request.Branches ?? [], Tags = request.Tags ?? [], Spec = spec with { Source = null }, SpecPath = request.SpecPath, CreatedAt = clock.GetUtcNow(),
        };
        trigger.SecretCiphertext = cipher.Encrypt($"trigger:{trigger.Id}", Encoding.UTF8.GetBytes(request.Secret));
        db.Triggers.Add(trigger);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/triggers/{trigger.Id}", TriggerResponse.From(trigger));
    }

    private static async Task<Ok<List<TriggerResponse>>> ListAsync(BuildDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok((await db.Triggers.AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(cancellationToken)).Select(TriggerResponse.From).ToList());

    private static async Task<Ok<TriggerResponse>> GetAsync(Guid id, BuildDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(TriggerResponse.From(await FindAsync(db, id, cancellationToken)));

    private static async Task<NoContent> DeleteAsync(Guid id, BuildDbContext db, CancellationToken cancellationToken)
    {
        await db.TriggerDeliveries.Where(d => d.TriggerId == id).ExecuteDeleteAsync(cancellationToken);
        if (await db.Triggers.Where(t => t.Id == id).ExecuteDeleteAsync(cancellationToken) == 0) throw new NotFoundException($"There is no trigger {id}.");
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<DeliveryResponse>>> DeliveriesAsync(Guid id, BuildDbContext db, CancellationToken cancellationToken)
    {
        await FindAsync(db, id, cancellationToken);
        var deliveries = await db.TriggerDeliveries.AsNoTracking().Where(d => d.TriggerId == id).OrderByDescending(d => d.ReceivedAt).Take(200).ToListAsync(cancellationToken);
        return TypedResults.Ok(deliveries.Select(DeliveryResponse.From).ToList());
    }

    private static async Task<Trigger> FindAsync(BuildDbContext db, Guid id, CancellationToken cancellationToken) =>
        await db.Triggers.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken) ?? throw new NotFoundException($"There is no trigger {id}.");

    private static async Task<IResult> ReceiveAsync(Guid id, HttpRequest request, BuildDbContext db, SecretCipher cipher, BuildSubmission submission,
        Hangfire.IBackgroundJobClient jobs, TimeProvider clock, CancellationToken cancellationToken)
    {
        var trigger = await FindAsync(db, id, cancellationToken);
        var body = await ReadBodyAsync(request, cancellationToken);
        byte[] secret;
        try { secret = cipher.Decrypt($"trigger:{trigger.Id}", trigger.SecretCiphertext); }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException or FormatException)
        {
            // the master key changed or is gone: nothing can be verified, so nothing is accepted (and the caller learns no more)
            return Problem(StatusCodes.Status401Unauthorized, "webhook-signature", "The delivery is not authentic.", "The delivery cannot be verified.");
        }
        if (WebhookVerifier.Verify(trigger.Provider, secret, request.Headers, body, clock.GetUtcNow()) is { } why)
            return Problem(StatusCodes.Status401Unauthorized, "webhook-signature", "The delivery is not authentic.", why);

        WebhookEvent delivered;
        try { delivered = WebhookEvent.Parse(trigger.Provider, request.Headers, body); }
        catch (JsonException) { return Problem(StatusCodes.Status400BadRequest, "bad-payload", "The delivery is not valid.", "The payload is not JSON."); }
        var earlier = await db.TriggerDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.TriggerId == id && d.DeliveryKey == delivered.DeliveryKey, cancellationToken);
        if (earlier is not null) return Answer(earlier, replayed: true);

        var delivery = new TriggerDelivery
        {
            Id = Guid.CreateVersion7(), TriggerId = id, DeliveryKey = delivered.DeliveryKey, Event = delivered.Event.Length > 64 ? delivered.Event[..64] : delivered.Event,
            Ref = delivered.Ref?.Length > 255 ? delivered.Ref[..255] : delivered.Ref, Commit = delivered.Commit, ReceivedAt = clock.GetUtcNow(),
        };
        if (delivered.Mismatch(trigger) is { } reason) (delivery.Outcome, delivery.Reason) = ("ignored", reason.Length > 255 ? reason[..255] : reason);
        else if (trigger.SpecPath is not null) delivery.Outcome = "queued"; // the spec is read from the commit by a job: the answer does not wait for git
        else await StartAsync(trigger, trigger.Spec, delivery, submission, $"trigger:{id}:{delivered.DeliveryKey}", cancellationToken);
        db.TriggerDeliveries.Add(delivery);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // the same delivery arrived twice at once: the other one is recorded, and its build is this one (same idempotency key)
            db.ChangeTracker.Clear();
            return Answer(await db.TriggerDeliveries.AsNoTracking().SingleAsync(d => d.TriggerId == id && d.DeliveryKey == delivered.DeliveryKey, cancellationToken), replayed: true);
        }
        if (delivery.Outcome == "queued") jobs.Enqueue<SpecFileJob>(Pipeline.HangfireStageQueue.Queue, j => j.RunAsync(delivery.Id, CancellationToken.None));
        return Answer(delivery, replayed: false);
    }

    private static async Task<IResult> ReplayAsync(Guid id, Guid deliveryId, BuildDbContext db, BuildSubmission submission, Hangfire.IBackgroundJobClient jobs,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var trigger = await FindAsync(db, id, cancellationToken);
        var original = await db.TriggerDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.TriggerId == id && d.Id == deliveryId, cancellationToken)
            ?? throw new NotFoundException($"There is no delivery {deliveryId} of trigger {id}.");
        if (original.Commit is null) throw new ConflictException("nothing-to-replay", "The delivery names no commit.", $"Delivery {deliveryId} was {original.Event}, which has no commit to build.");
        var replay = new TriggerDelivery
        {
            Id = Guid.CreateVersion7(), TriggerId = id, DeliveryKey = $"replay:{deliveryId}:{Guid.NewGuid():N}", Event = "replay",
            Ref = original.Ref, Commit = original.Commit, ReceivedAt = clock.GetUtcNow(),
        };
        if (trigger.SpecPath is not null) replay.Outcome = "queued";
        else await StartAsync(trigger, trigger.Spec, replay, submission, $"trigger:{id}:{replay.DeliveryKey}", cancellationToken);
        db.TriggerDeliveries.Add(replay);
        await db.SaveChangesAsync(cancellationToken);
        if (replay.Outcome == "queued") jobs.Enqueue<SpecFileJob>(Pipeline.HangfireStageQueue.Queue, j => j.RunAsync(replay.Id, CancellationToken.None));
        return Answer(replay, replayed: false);
    }

    internal static async Task StartAsync(Trigger trigger, BuildSpec buildSpec, TriggerDelivery delivery, BuildSubmission submission, string idempotencyKey, CancellationToken cancellationToken)
    {
        var spec = buildSpec with { Source = new SourceSpec { Git = new GitSourceSpec { Url = trigger.RepositoryUrl, Ref = delivery.Commit } } };
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(spec)));
        try
        {
            using var submitted = new SubmittedRequest { Spec = spec, Fingerprint = fingerprint };
            var (build, _) = await submission.SubmitAsync(submitted, idempotencyKey, cancellationToken);
            (delivery.Outcome, delivery.BuildId) = ("started", build.Id);
        }
        catch (ServiceException e)
        {
            (delivery.Outcome, delivery.Reason) = ("failed", e.Message.Length > 255 ? e.Message[..255] : e.Message);
        }
    }

    private static IResult Answer(TriggerDelivery delivery, bool replayed)
    {
        var body = DeliveryResponse.From(delivery);
        if (replayed) return TypedResults.Ok(body);
        if (delivery.Outcome == "queued") return TypedResults.Accepted($"/api/v1/triggers/{delivery.TriggerId}/deliveries", body);
        return delivery.BuildId is { } build ? TypedResults.Accepted($"/api/v1/builds/{build}", body) : TypedResults.Ok(body);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxPayloadBytes) throw new PayloadTooLargeException($"A delivery may be at most {MaxPayloadBytes} bytes.");
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxPayloadBytes) throw new PayloadTooLargeException($"A delivery may be at most {MaxPayloadBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static IResult Problem(int status, string slug, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: Problems.ProblemExceptionHandler.TypePrefix + slug);
}
