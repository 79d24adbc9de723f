namespace HybridBuild.Application.Triggers;

/// <summary>
/// For a trigger whose spec lives in the repository: checks out the pushed commit, reads the spec file and starts
/// the build, then records it on the delivery. Re-entrant: it claims the delivery with a lease, and the build's
/// idempotency key makes a second run return the same build.
/// </summary>
[AutomaticRetry(Attempts = 3, DelaysInSeconds = [5, 30, 120])]
internal sealed class SpecFileJob(BuildDbContext db, DeliveryLifecycle deliveries, LeaseWatch watch, WebhookReceiver receiver, OutboundPolicy network,
    IOptions<SourceOptions> sources, IOptions<ContextLimits> limits, ScratchSpace scratch)
{
    public const int MaxSpecBytes = 1 << 20;

    [JobDisplayName("spec file of delivery {0}")]
    public async Task RunAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid();
        if (!await deliveries.ClaimAsync(deliveryId, runId, cancellationToken)) return;
        var delivery = await db.TriggerDeliveries.AsNoTracking().FirstAsync(d => d.Id == deliveryId, cancellationToken);
        var trigger = await db.Triggers.AsNoTracking().FirstOrDefaultAsync(t => t.Id == delivery.TriggerId, cancellationToken);
        if (trigger is null)
        {
            await deliveries.CompleteAsync(deliveryId, runId, DeliveryOutcome.Failed, null, "the trigger was deleted");
            return;
        }
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopWatch = new CancellationTokenSource();
        var watcher = watch.KeepAsync($"delivery {deliveryId}", (renew, ct) => deliveries.HeartbeatAsync(deliveryId, runId, renew, ct), run, stopWatch.Token);
        var checkout = scratch.SpecCheckout(deliveryId);
        try
        {
            ScratchSpace.Delete(checkout); // what an earlier run of this delivery left, had its node stopped
            Directory.CreateDirectory(checkout);
            await GitCheckout.FetchCheckedAsync(network, "repository URL", trigger.RepositoryUrl, delivery.Commit!, checkout, sources.Value.GitPath,
                limits.Value, run.Token);
            var spec = await ReadSpecAsync(Path.Combine(checkout, trigger.SpecPath!), trigger.SpecPath!, run.Token);
            await receiver.StartAsync(trigger, spec, delivery, run.Token);
            await deliveries.CompleteAsync(deliveryId, runId, delivery.Outcome, delivery.BuildId, delivery.Reason);
        }
        catch (Exception e) when (e is SourceFetchException or InvalidDataException or JsonException or IOException)
        {
            await deliveries.CompleteAsync(deliveryId, runId, DeliveryOutcome.Failed, null, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && watch.StoppedFor == LeaseState.Lost)
        {
            // another run holds the delivery now
        }
        catch (OperationCanceledException)
        {
            await deliveries.ReleaseAsync(deliveryId, runId);
            throw;
        }
        finally
        {
            await stopWatch.CancelAsync();
            await watcher;
            ScratchSpace.Delete(checkout);
        }
    }

    private static async Task<BuildSpec> ReadSpecAsync(string file, string specPath, CancellationToken cancellationToken)
    {
        // the checkout is the repository's content: the spec must be a regular file inside it, not a link out of it
        var info = new FileInfo(file);
        if (!info.Exists || info.LinkTarget is not null) throw new InvalidDataException($"the commit has no spec file at '{specPath}'");
        if (info.Length > MaxSpecBytes) throw new InvalidDataException($"the spec file '{specPath}' is larger than {MaxSpecBytes} bytes");
        await using var stream = info.OpenRead();
        return await JsonSerializer.DeserializeAsync<BuildSpec>(stream, ApiJson.Strict, cancellationToken)
            ?? throw new InvalidDataException($"the spec file '{specPath}' is empty");
    }
}
