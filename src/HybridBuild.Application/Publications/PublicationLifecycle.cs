namespace HybridBuild.Application.Publications;

/// <summary>Every state change of a publication: dispatch, claim with a lease, heartbeat, release, complete, recover.</summary>
internal sealed class PublicationLifecycle(BuildDbContext db, Leases leases, IJobDispatcher jobs, NodeIdentity node,
    IOptions<WorkerOptions> options, TimeProvider clock)
{
    /// <summary>
    /// Deletes the publications of a build that is being deleted (inside its transaction). A publication still queued or
    /// running reads the build's blobs: then nothing is deleted.
    /// </summary>
    /// <exception cref="ConflictException">A publication of the build has not finished.</exception>
    public async Task DeleteOfBuildAsync(Guid buildId, CancellationToken cancellationToken)
    {
        if (await db.Publications.AnyAsync(p => p.BuildId == buildId && (p.Status == PublicationStatus.Queued || p.Status == PublicationStatus.Running), cancellationToken))
            throw new ConflictException("publication-running", "A publication of the build has not finished.",
                $"Build {buildId} has a publication that is queued or running; delete the build once it has finished.");
        await db.Publications.Where(p => p.BuildId == buildId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Hands a queued publication to the transport.</summary>
    public async Task DispatchAsync(Guid publicationId, CancellationToken cancellationToken)
    {
        var jobId = jobs.Dispatch(JobKind.Publication, publicationId);
        await db.Publications.Where(p => p.Id == publicationId && p.Status == PublicationStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.JobId, jobId), cancellationToken);
    }

    /// <summary>Queued → running under <paramref name="runId"/> on this node.</summary>
    public async Task<bool> ClaimAsync(Guid publicationId, Guid runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return await db.Publications.Where(p => p.Id == publicationId && p.Status == PublicationStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, PublicationStatus.Running).SetProperty(p => p.StartedAt, now)
                .SetProperty(p => p.RunId, runId).SetProperty(p => p.NodeId, node.Id).SetProperty(p => p.HeartbeatAt, now)
                .SetProperty(p => p.Attempts, p => p.Attempts + 1), cancellationToken) == 1;
    }

    /// <summary>Renews the lease (its own context: it runs beside the publishing) and says whether the run still holds it.</summary>
    public Task<LeaseState> HeartbeatAsync(Guid publicationId, Guid runId, bool renew, CancellationToken cancellationToken) =>
        leases.ReportAsync(c => c.Publications.Where(p => p.Id == publicationId && p.RunId == runId && p.Status == PublicationStatus.Running), renew, cancellationToken);

    /// <summary>Running → queued: stopped without an outcome (shutdown), so the job's retry claims it again.</summary>
    public Task ReleaseAsync(Guid publicationId, Guid runId) =>
        db.Publications.Where(p => p.Id == publicationId && p.RunId == runId && p.Status == PublicationStatus.Running)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.Status, PublicationStatus.Queued).SetProperty(p => p.StartedAt, (DateTimeOffset?)null)
                .SetProperty(p => p.RunId, (Guid?)null).SetProperty(p => p.NodeId, (Guid?)null), CancellationToken.None);

    /// <summary>Running → succeeded or failed, with every file's outcome; false when the run no longer held it.</summary>
    public async Task<bool> CompleteAsync(Guid publicationId, Guid runId, List<PublishedArtifact> files, string? error)
    {
        var failedFiles = files.Count(f => f.Status == PublishedFileStatus.Failed);
        var status = error is null && failedFiles == 0 ? PublicationStatus.Succeeded : PublicationStatus.Failed;
        error ??= failedFiles > 0 ? $"{failedFiles} of {files.Count} file(s) failed" : null;
        var publication = await db.Publications.SingleAsync(p => p.Id == publicationId, CancellationToken.None);
        if (publication.RunId != runId || publication.Status != PublicationStatus.Running) return false;
        (publication.Files, publication.Status, publication.Error, publication.FinishedAt, publication.NodeId) = (files, status, error, clock.GetUtcNow(), null);
        await db.SaveChangesAsync(CancellationToken.None);
        return true;
    }

    /// <summary>Running publications whose run is gone (node silent, or no report for a whole lease).</summary>
    public Task<List<Publication>> AbandonedAsync(CancellationToken cancellationToken) =>
        leases.AbandonedAsync(db.Publications.Where(p => p.Status == PublicationStatus.Running), cancellationToken);

    /// <summary>Queued publications older than a sweep: the reconciler asks the transport whether their job is lost.</summary>
    public Task<List<Publication>> WaitingAsync(CancellationToken cancellationToken)
    {
        var settled = leases.WaitedSince;
        return db.Publications.AsNoTracking().Where(p => p.Status == PublicationStatus.Queued && p.CreatedAt < settled).ToListAsync(cancellationToken);
    }

    /// <summary>An abandoned run: failed after <see cref="WorkerOptions.MaxAttempts"/> tries, else queued again with a new job.</summary>
    public async Task RecoverAsync(Publication publication, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxAttempts;
        var failed = publication.Attempts >= max;
        var now = clock.GetUtcNow();
        var changed = await leases.EndAbandonedRunAsync(db.Publications.Where(p => p.Id == publication.Id && p.Status == PublicationStatus.Running), publication,
            u => u.SetProperty(p => p.Status, failed ? PublicationStatus.Failed : PublicationStatus.Queued)
                .SetProperty(p => p.Error, failed ? $"the publication lost its worker {max} times" : null)
                .SetProperty(p => p.FinishedAt, failed ? now : null).SetProperty(p => p.StartedAt, (DateTimeOffset?)null), cancellationToken);
        if (changed && !failed) await DispatchAsync(publication.Id, cancellationToken);
    }

    /// <summary>A queued publication whose job is lost (or was never made): handed to the transport again.</summary>
    public async Task RequeueAsync(Publication publication, CancellationToken cancellationToken)
    {
        if (await leases.TakeOverLostJobAsync(db.Publications.Where(p => p.Id == publication.Id && p.Status == PublicationStatus.Queued), publication, cancellationToken))
            await DispatchAsync(publication.Id, cancellationToken);
    }
}
