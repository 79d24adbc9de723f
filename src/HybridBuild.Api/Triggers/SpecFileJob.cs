using System.Text.Json;
using HybridBuild.Api.Contracts;
using HybridBuild.Api.Submissions;
using HybridBuild.Core.Sources;
using HybridBuild.Core.Specs;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Triggers;

/// <summary>
/// For a trigger whose spec lives in the repository: checks out the pushed commit, reads the spec file and starts
/// the build, then records it on the delivery. Re-entrant: a delivery that is no longer queued is left alone, and the
/// build's idempotency key makes a second run return the same build.
/// </summary>
internal sealed class SpecFileJob(BuildDbContext db, BuildSubmission submission, Core.Network.OutboundPolicy network,
    IOptions<SourceOptions> sources, IOptions<ContextLimits> limits, IOptions<Pipeline.WorkerOptions> worker)
{
    public const int MaxSpecBytes = 1 << 20;

    public async Task RunAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        var delivery = await db.TriggerDeliveries.FirstOrDefaultAsync(d => d.Id == deliveryId, cancellationToken);
        if (delivery is not { Outcome: "queued", Commit: not null }) return;
        var trigger = await db.Triggers.AsNoTracking().FirstAsync(t => t.Id == delivery.TriggerId, cancellationToken);
        var checkout = Path.Combine(worker.Value.WorkDirectory, $"spec-{deliveryId:N}");
        try
        {
            if (await network.CheckAsync(GitUrl.Host(trigger.RepositoryUrl), cancellationToken) is { } refused)
                throw new SourceFetchException($"The repository URL {refused}.");
            Directory.CreateDirectory(checkout);
            await GitCheckout.FetchAsync(trigger.RepositoryUrl, delivery.Commit, checkout, sources.Value.GitPath, limits.Value, cancellationToken);
            var spec = await ReadSpecAsync(Path.Combine(checkout, trigger.SpecPath!), trigger.SpecPath!, cancellationToken);
            await TriggerEndpoints.StartAsync(trigger, spec, delivery, submission, $"trigger:{trigger.Id}:{delivery.DeliveryKey}", cancellationToken);
        }
        catch (Exception e) when (e is SourceFetchException or InvalidDataException or JsonException or IOException)
        {
            (delivery.Outcome, delivery.Reason) = ("failed", e.Message.Length > 255 ? e.Message[..255] : e.Message);
        }
        finally
        {
            try { if (Directory.Exists(checkout)) Directory.Delete(checkout, recursive: true); } catch (IOException) { }
        }
        await db.SaveChangesAsync(CancellationToken.None);
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
