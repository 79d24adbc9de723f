using HybridBuild.Application.Requests;
using HybridBuild.Application.Submissions;
using Npgsql;

namespace HybridBuild.Application.Triggers;

/// <summary>What became of a delivery, and whether it repeats one already recorded.</summary>
public sealed record DeliveryResult(TriggerDelivery Delivery, bool Replayed);

/// <summary>
/// Takes a provider's delivery: verified against the trigger's secret before anything else, de-duplicated, recorded,
/// and a matching push starts a build of the pushed commit (or queues the job that reads the spec file there).
/// </summary>
internal sealed class WebhookReceiver(BuildDbContext db, TriggerService triggers, SecretCipher cipher, BuildSubmission submission,
    DeliveryLifecycle deliveries, TimeProvider clock)
{
    public const int MaxPayloadBytes = 1 << 20;

    /// <exception cref="WebhookRefusedException">The delivery is not authentic (401) or not a valid payload (400).</exception>
    public async Task<DeliveryResult> ReceiveAsync(Guid triggerId, WebhookHeaders headers, byte[] body, CancellationToken cancellationToken)
    {
        var trigger = await triggers.GetAsync(triggerId, cancellationToken);
        byte[] secret;
        try { secret = cipher.Decrypt(TriggerService.SecretContext(trigger.Id), trigger.SecretCiphertext); }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException or FormatException)
        {
            // the master key changed or is gone: nothing can be verified, so nothing is accepted (and the caller learns no more)
            throw WebhookRefusedException.NotAuthentic("The delivery cannot be verified.");
        }
        if (WebhookVerifier.Verify(trigger.Provider, secret, headers, body, clock.GetUtcNow()) is { } why)
            throw WebhookRefusedException.NotAuthentic(why);

        WebhookEvent delivered;
        try { delivered = WebhookEvent.Parse(trigger.Provider, headers, body); }
        catch (JsonException) { throw new BadRequestException("bad-payload", "The delivery is not valid.", "The payload is not JSON.", "body"); }
        // a repeated delivery id, or the same signed content under a fresh id (a captured delivery sent again)
        var content = WebhookVerifier.ContentSha256(trigger.Provider, headers, body);
        if (await FindAsync(triggerId, delivered.DeliveryKey, content, cancellationToken) is { } earlier) return new(earlier, true);

        var delivery = new TriggerDelivery
        {
            Id = Guid.CreateVersion7(), TriggerId = triggerId, DeliveryKey = delivered.DeliveryKey, ContentSha256 = content, Event = Clip(delivered.Event, 64),
            Ref = delivered.Ref is null ? null : Clip(delivered.Ref, 255), Commit = delivered.Commit, ReceivedAt = clock.GetUtcNow(),
        };
        if (delivered.Mismatch(trigger) is { } reason) (delivery.Outcome, delivery.Reason) = (DeliveryOutcome.Ignored, DeliveryLifecycle.Clip(reason));
        else if (trigger.SpecPath is not null) delivery.Outcome = DeliveryOutcome.Queued; // read from the commit by a job: the answer does not wait for git
        else await StartAsync(trigger, trigger.Spec, delivery, cancellationToken);
        db.TriggerDeliveries.Add(delivery);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // the same delivery (by id or by content) arrived twice at once: the other one is recorded, and its build is
            // this one (the build's idempotency key is the content's hash)
            db.ChangeTracker.Clear();
            return new(await FindAsync(triggerId, delivered.DeliveryKey, content, cancellationToken) ?? throw new InvalidOperationException("The recorded delivery vanished."), true);
        }
        if (delivery.Outcome == DeliveryOutcome.Queued) await deliveries.DispatchAsync(delivery.Id, CancellationToken.None);
        return new(delivery, false);
    }

    /// <summary>Starts the build of a recorded push again: a new delivery, a new build of the same commit.</summary>
    public async Task<TriggerDelivery> ReplayAsync(Guid triggerId, Guid deliveryId, CancellationToken cancellationToken)
    {
        var trigger = await triggers.GetAsync(triggerId, cancellationToken);
        var original = await db.TriggerDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.TriggerId == triggerId && d.Id == deliveryId, cancellationToken)
            ?? throw new NotFoundException($"There is no delivery {deliveryId} of trigger {triggerId}.");
        if (original.Commit is null) throw new ConflictException("nothing-to-replay", "The delivery names no commit.", $"Delivery {deliveryId} was {original.Event}, which has no commit to build.");
        var replay = new TriggerDelivery
        {
            Id = Guid.CreateVersion7(), TriggerId = triggerId, DeliveryKey = $"replay:{deliveryId}:{Guid.NewGuid():N}", Event = "replay",
            Ref = original.Ref, Commit = original.Commit, ReceivedAt = clock.GetUtcNow(),
        };
        if (trigger.SpecPath is not null) replay.Outcome = DeliveryOutcome.Queued;
        else await StartAsync(trigger, trigger.Spec, replay, cancellationToken);
        db.TriggerDeliveries.Add(replay);
        await db.SaveChangesAsync(cancellationToken);
        if (replay.Outcome == DeliveryOutcome.Queued) await deliveries.DispatchAsync(replay.Id, CancellationToken.None);
        return replay;
    }

    /// <summary>Submits the trigger's build of the delivery's commit; records on the delivery the build, or why there is none.</summary>
    public async Task StartAsync(Trigger trigger, BuildSpec buildSpec, TriggerDelivery delivery, CancellationToken cancellationToken)
    {
        var spec = buildSpec with
        {
            Source = new SourceSpec { Git = new GitSourceSpec { Url = trigger.RepositoryUrl, Ref = delivery.Commit } },
            Notify = trigger.Notify.Count == 0 ? buildSpec.Notify : [.. buildSpec.Notify ?? [], .. trigger.Notify],
        };
        // keyed on the content when there is one: two identical deliveries racing under different ids submit one build
        var key = delivery.ContentSha256 is { } content ? $"trigger:{trigger.Id}:sha256:{content}" : $"trigger:{trigger.Id}:{delivery.DeliveryKey}";
        try
        {
            await using var submitted = new SubmittedRequest { Caller = Caller.ForTrigger(trigger), Spec = spec, Fingerprint = Idempotency.Fingerprint(spec) };
            var (build, _) = await submission.SubmitAsync(submitted, key, cancellationToken);
            (delivery.Outcome, delivery.BuildId) = (DeliveryOutcome.Started, build.Id);
        }
        catch (ServiceException e)
        {
            (delivery.Outcome, delivery.Reason) = (DeliveryOutcome.Failed, DeliveryLifecycle.Clip(e.Message));
        }
    }

    /// <summary>The earliest delivery of the trigger under this delivery id or with this signed content.</summary>
    private Task<TriggerDelivery?> FindAsync(Guid triggerId, string key, string content, CancellationToken cancellationToken) =>
        db.TriggerDeliveries.AsNoTracking().Where(d => d.TriggerId == triggerId && (d.DeliveryKey == key || d.ContentSha256 == content))
            .OrderBy(d => d.ReceivedAt).FirstOrDefaultAsync(cancellationToken);

    private static string Clip(string text, int length) => text.Length > length ? text[..length] : text;
}

/// <summary>A delivery that is refused before it is looked at: its signature or token does not verify (401).</summary>
public sealed class WebhookRefusedException(string detail) : ServiceException("webhook-signature", 401, "The delivery is not authentic.", detail)
{
    public static WebhookRefusedException NotAuthentic(string detail) => new(detail);
}
