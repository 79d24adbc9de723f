using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Publications;

/// <summary>
/// Publishes a publication's files. Carries only the publication's id; a delivery that finds it already claimed does
/// nothing. Files are published one after another from blob storage; each outcome is recorded.
/// </summary>
internal sealed partial class PublicationJob(
    BuildDbContext db, IBlobStore blobs, IEnumerable<IPublisher> publishers, IOptions<PublishingOptions> options,
    Core.Network.OutboundPolicy network, HybridBuild.Publishing.Oci.OciImageCopier images,
    IOptions<BuildKit.EngineOptions> engine, TimeProvider clock, ILogger<PublicationJob> logger)
{
    public const string Queue = "stages";

    public async Task RunAsync(Guid publicationId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var claimed = await db.Publications.Where(p => p.Id == publicationId && p.Status == PublicationStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, PublicationStatus.Running).SetProperty(p => p.StartedAt, now), cancellationToken);
        if (claimed == 0) return;
        var publication = await db.Publications.AsNoTracking().SingleAsync(p => p.Id == publicationId, cancellationToken);
        var files = publication.Files;
        string? error = null;
        try
        {
            var target = options.Value.Targets[publication.Target].Resolve(publication.Target);
            if (await network.CheckAsync(target.Url.Host, cancellationToken) is { } refused)
                throw new InvalidOperationException($"target '{target.Name}' {refused}");
            var publisher = options.Value.Targets[publication.Target].IsOci ? null
                : publishers.FirstOrDefault(p => p.Type.Equals(target.Type, StringComparison.OrdinalIgnoreCase))
                  ?? throw new InvalidOperationException($"no publisher for targets of type '{target.Type}'");
            var artifacts = await db.Artifacts.AsNoTracking().Where(a => a.BuildId == publication.BuildId).ToListAsync(cancellationToken);
            for (var i = 0; i < files.Count; i++)
            {
                if (publication.DryRun) { files[i] = files[i] with { Status = "planned" }; continue; }
                if (publisher is null) { files[i] = await CopyImageAsync(target, files[i], cancellationToken); continue; }
                var artifact = artifacts.Single(a => a.StageName == files[i].Stage && a.Path == files[i].Path);
                files[i] = await PublishAsync(publisher, target, files[i], artifact, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // stopped (shutdown, a deleted job): give the claim back so the retried delivery can claim it again, not find it running forever
            await db.Publications.Where(p => p.Id == publicationId && p.Status == PublicationStatus.Running)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, PublicationStatus.Queued).SetProperty(p => p.StartedAt, (DateTimeOffset?)null), CancellationToken.None);
            throw;
        }
        catch (Exception e)
        {
            error = e.Message;
            LogFailed(logger, publicationId, e.Message);
        }
        var failed = error is not null || files.Any(f => f.Status == "failed");
        var finished = await db.Publications.SingleAsync(p => p.Id == publicationId, CancellationToken.None);
        finished.Files = files;
        finished.Status = failed ? PublicationStatus.Failed : PublicationStatus.Succeeded;
        finished.Error = error ?? (failed ? $"{files.Count(f => f.Status == "failed")} of {files.Count} file(s) failed" : null);
        finished.FinishedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
    }

    private async Task<PublishedArtifact> PublishAsync(IPublisher publisher, PublishTarget target, PublishedArtifact file, Artifact artifact, CancellationToken cancellationToken)
    {
        try
        {
            var result = await publisher.PublishFileAsync(target, new PublishFile(
                file.Destination,
                file.Properties.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[p.Value]),
                artifact.Size, artifact.Sha256,
                async ct => await blobs.OpenReadAsync(artifact.BlobKey, ct) ?? throw new InvalidOperationException($"the blob of {artifact.Path} is missing")),
                cancellationToken);
            return file with { Status = "published", DownloadUri = result.Url.ToString(), DeployedByChecksum = result.DeployedByChecksum, Attempts = result.Attempts };
        }
        catch (Exception e) when (e is PublishException or InvalidOperationException or IOException or HttpRequestException)
        {
            return file with { Status = "failed", Error = e.Message };
        }
    }

    /// <summary>Copies an image the build pushed, by its digest, to the target registry under the planned reference.</summary>
    private async Task<PublishedArtifact> CopyImageAsync(PublishTarget target, PublishedArtifact image, CancellationToken cancellationToken)
    {
        try
        {
            var source = HybridBuild.Publishing.Oci.ImageReference.Parse(image.Path) with { Tag = null, Digest = image.Sha256 };
            var repository = string.IsNullOrEmpty(target.Repository) ? "" : target.Repository.Trim('/') + "/";
            var destination = HybridBuild.Publishing.Oci.ImageReference.Parse($"{target.Url.Authority}/{repository}{image.Destination}")
                with { Insecure = target.Url.Scheme == "http" };
            var copied = await images.CopyAsync(source, SourceCredentials(source.Registry), destination, TargetCredentials(target), cancellationToken);
            return image with { Status = "published", DownloadUri = $"{destination.Registry}/{destination.Repository}@{copied.Digest}", Attempts = 1 };
        }
        catch (Exception e) when (e is PublishException or FormatException or ArgumentException or HttpRequestException or IOException)
        {
            return image with { Status = "failed", Error = e.Message };
        }
    }

    private HybridBuild.Publishing.Oci.RegistryCredentials? SourceCredentials(string registry) =>
        engine.Value.Registries.FirstOrDefault(r => r.Host.Equals(registry, StringComparison.OrdinalIgnoreCase)) is { } entry
            ? new(entry.Username, entry.PasswordFile is { Length: > 0 } file ? File.ReadAllText(file).TrimEnd('\r', '\n') : entry.Password ?? "")
            : null;

    private static HybridBuild.Publishing.Oci.RegistryCredentials? TargetCredentials(PublishTarget target) =>
        target.Credentials is { IsToken: false, Username: { } user } c ? new(user, c.Password ?? "") : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publication {PublicationId} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, Guid publicationId, string error);
}
