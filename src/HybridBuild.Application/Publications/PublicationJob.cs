namespace HybridBuild.Application.Publications;

/// <summary>
/// Publishes a publication's files. Carries only the publication's id; a delivery that finds it already claimed does
/// nothing. Files are published one after another from blob storage, under a lease; each outcome is recorded.
/// </summary>
[AutomaticRetry(Attempts = 3, DelaysInSeconds = [5, 30, 120])]
internal sealed partial class PublicationJob(
    BuildDbContext db, PublicationLifecycle publications, LeaseWatch watch, IBlobStore blobs, IEnumerable<IPublisher> publishers,
    IImagePublisher images, IOptions<PublishingOptions> options, OutboundPolicy network, Telemetry.HybridBuildMetrics metrics, ILogger<PublicationJob> logger)
{
    [JobDisplayName("publication {0}")]
    public async Task RunAsync(Guid publicationId, CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid();
        if (!await publications.ClaimAsync(publicationId, runId, cancellationToken)) return;
        var publication = await db.Publications.AsNoTracking().SingleAsync(p => p.Id == publicationId, cancellationToken);
        if (publication.StartedAt is { } started) metrics.Started(JobKind.Publication, started - publication.CreatedAt);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopWatch = new CancellationTokenSource();
        var watcher = watch.KeepAsync($"publication {publicationId}", (renew, ct) => publications.HeartbeatAsync(publicationId, runId, renew, ct), run, stopWatch.Token);
        var files = publication.Files;
        string? error = null;
        try
        {
            await PublishAllAsync(publication, files, run.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && watch.StoppedFor == LeaseState.Lost)
        {
            return; // another run holds it now
        }
        catch (OperationCanceledException)
        {
            // stopped (shutdown, a deleted job): give the claim back so the retried delivery can claim it again
            await publications.ReleaseAsync(publicationId, runId);
            throw;
        }
        catch (Exception e)
        {
            error = e.Message;
            LogFailed(publicationId, e.Message);
        }
        finally
        {
            await stopWatch.CancelAsync();
            await watcher;
        }
        await publications.CompleteAsync(publicationId, runId, files, error);
    }

    private async Task PublishAllAsync(Publication publication, List<PublishedArtifact> files, CancellationToken cancellationToken)
    {
        var configured = options.Value.Targets[publication.Target];
        var target = configured.Resolve(publication.Target);
        if (await network.CheckAsync(target.Url.Host, cancellationToken) is { } refused)
            throw new InvalidOperationException($"target '{target.Name}' {refused}");
        var publisher = configured.IsOci ? null
            : publishers.FirstOrDefault(p => p.Type.Equals(target.Type, StringComparison.OrdinalIgnoreCase))
              ?? throw new InvalidOperationException($"no publisher for targets of type '{target.Type}'");
        var artifacts = await db.Artifacts.AsNoTracking().Where(a => a.BuildId == publication.BuildId).ToListAsync(cancellationToken);
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].Status == PublishedFileStatus.Published) continue; // done by an earlier run
            files[i] = publisher is null
                ? await CopyImageAsync(target, files[i], cancellationToken)
                : await PublishFileAsync(publisher, target, files[i], artifacts.Single(a => a.StageName == files[i].Stage && a.Path == files[i].Path), cancellationToken);
        }
    }

    private async Task<PublishedArtifact> PublishFileAsync(IPublisher publisher, PublishTarget target, PublishedArtifact file, Artifact artifact, CancellationToken cancellationToken)
    {
        try
        {
            var result = await publisher.PublishFileAsync(target, new PublishFile(
                file.Destination,
                file.Properties.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[p.Value]),
                artifact.Size, artifact.Sha256,
                async ct => await blobs.OpenReadAsync(artifact.BlobKey, ct) ?? throw new InvalidOperationException($"the blob of {artifact.Path} is missing")),
                cancellationToken);
            return file with { Status = PublishedFileStatus.Published, DownloadUri = result.Url.ToString(), DeployedByChecksum = result.DeployedByChecksum, Attempts = result.Attempts };
        }
        catch (Exception e) when (e is PublishException or InvalidOperationException or IOException or HttpRequestException)
        {
            return file with { Status = PublishedFileStatus.Failed, Error = e.Message };
        }
    }

    /// <summary>Copies an image the build pushed, by its digest, to the target registry under the planned reference.</summary>
    private async Task<PublishedArtifact> CopyImageAsync(PublishTarget target, PublishedArtifact image, CancellationToken cancellationToken)
    {
        try
        {
            var copied = await images.CopyAsync(target, image.Path, image.Sha256, image.Destination, cancellationToken);
            return image with { Status = PublishedFileStatus.Published, DownloadUri = copied, Attempts = 1 };
        }
        catch (Exception e) when (e is PublishException or HttpRequestException or IOException)
        {
            return image with { Status = PublishedFileStatus.Failed, Error = e.Message };
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publication {PublicationId} failed: {Error}")]
    private partial void LogFailed(Guid publicationId, string error);
}
