namespace HybridBuild.Application.Pipeline;

/// <summary>Every state change of a build, each a conditional update on the state it leaves; the error texts a client sees.</summary>
/// <remarks>
/// The one caller that makes a change reports it (<see cref="BuildReports"/>): the commit statuses and notifications it
/// owes are stored in the change's own transaction and handed to the transport once it is committed.
/// </remarks>
internal sealed class BuildLifecycle(BuildDbContext db, BuildReports reports, TimeProvider clock)
{
    /// <summary>Queued → running, when its first stage starts.</summary>
    public Task StartAsync(Guid buildId, CancellationToken cancellationToken) =>
        ChangeAsync(buildId, BuildStatus.Running, ct => db.Builds.Where(b => b.Id == buildId && b.Status == BuildStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, BuildStatus.Running).SetProperty(b => b.StartedAt, clock.GetUtcNow()), ct), cancellationToken);

    /// <summary>
    /// Not finished → <paramref name="status"/>, its follow-ups due (<see cref="Build.FollowUpsDueSince"/>). For the one
    /// caller that settled it, the mark it set: that caller makes the follow-ups, then calls <see cref="FollowedUpAsync"/>.
    /// </summary>
    public async Task<DateTimeOffset?> SettleAsync(Guid buildId, BuildStatus status, CancellationToken cancellationToken)
    {
        var now = Now();
        return await ChangeAsync(buildId, status, ct => db.Builds.Where(b => b.Id == buildId && (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, status).SetProperty(b => b.FinishedAt, now).SetProperty(b => b.FollowUpsDueSince, now), ct),
            cancellationToken) ? now : null;
    }

    /// <summary>The follow-ups marked <paramref name="mark"/> are made: the mark goes, unless another caller has claimed them since.</summary>
    public Task FollowedUpAsync(Guid buildId, DateTimeOffset mark, CancellationToken cancellationToken) =>
        db.Builds.Where(b => b.Id == buildId && b.FollowUpsDueSince == mark)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.FollowUpsDueSince, (DateTimeOffset?)null), cancellationToken);

    /// <summary>Finished builds whose follow-ups have been due since before <paramref name="before"/>: their caller stopped first.</summary>
    public Task<List<Guid>> FollowUpsDueAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        db.Builds.Where(b => b.FollowUpsDueSince < before && Finished.Contains(b.Status)).Select(b => b.Id).ToListAsync(cancellationToken);

    /// <summary>
    /// Takes over the follow-ups of a build <see cref="FollowUpsDueAsync"/> found, if they are still due since before
    /// <paramref name="before"/>: marks them anew, so of several sweeps one wins and the next takeover waits as long
    /// again. Returns the build's status and the new mark, or null when they were made or taken meanwhile.
    /// </summary>
    public async Task<(BuildStatus Status, DateTimeOffset Mark)?> ClaimFollowUpsAsync(Guid buildId, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var now = Now();
        if (await db.Builds.Where(b => b.Id == buildId && b.FollowUpsDueSince < before && Finished.Contains(b.Status))
                .ExecuteUpdateAsync(u => u.SetProperty(b => b.FollowUpsDueSince, now), cancellationToken) != 1)
            return null;
        return (await StatusAsync(buildId, cancellationToken), now);
    }

    private static readonly BuildStatus[] Finished = [BuildStatus.Succeeded, BuildStatus.Failed, BuildStatus.Cancelled];

    /// <summary>The time, to the microsecond PostgreSQL keeps: a mark read back compares equal to the one set.</summary>
    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }

    /// <summary>
    /// Makes a conditional change and records the notifications it owes in one transaction, then hands them to the
    /// transport; true when this caller made the change.
    /// </summary>
    private async Task<bool> ChangeAsync(Guid buildId, BuildStatus status, Func<CancellationToken, Task<int>> change, CancellationToken cancellationToken)
    {
        var recorded = await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await change(cancellationToken) != 1) return null;
            var recorded = await reports.RecordAsync(buildId, status, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return recorded;
        });
        if (recorded is null) return false;
        await reports.DispatchAsync(recorded);
        return true;
    }

    /// <summary>Marks a build as to be cancelled (the first request's time is kept).</summary>
    /// <exception cref="NotFoundException">No such build.</exception>
    /// <exception cref="ConflictException">The build has already finished.</exception>
    public async Task RequestCancelAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var requested = await db.Builds
            .Where(b => b.Id == buildId && (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.CancelRequestedAt, b => b.CancelRequestedAt ?? now), cancellationToken);
        if (requested == 1) return;
        var status = await StatusAsync(buildId, cancellationToken);
        throw new ConflictException("build-finished", "The build has already finished.",
            $"Build {buildId} has already finished ({status.ToString().ToLowerInvariant()}); there is nothing to cancel.");
    }

    /// <summary>
    /// Records the commit a git build's ref resolved to, once: the first caller's commit is kept. Returns the recorded
    /// commit, which every stage of the build then builds.
    /// </summary>
    public async Task<string> PinCommitAsync(Guid buildId, string commit, CancellationToken cancellationToken)
    {
        await db.Builds.Where(b => b.Id == buildId && b.GitCommit == null)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.GitCommit, commit), cancellationToken);
        return await db.Builds.Where(b => b.Id == buildId).Select(b => b.GitCommit!).FirstAsync(cancellationToken);
    }

    /// <summary>
    /// Failed or cancelled → queued as its next attempt: the cancel request, start and finish times go, so the attempt
    /// is timed and settled afresh. The condition is the finished status, so of two retries at once exactly one wins
    /// (the other waits for the row, then finds the build queued). Call it inside the transaction that resets the stages:
    /// the notifications of "queued" are stored in it too, for <see cref="ReportRetriedAsync"/> once it is committed.
    /// </summary>
    /// <returns>The new attempt number, and the notifications recorded.</returns>
    /// <exception cref="NotFoundException">No such build.</exception>
    /// <exception cref="ConflictException">The build succeeded, or has not finished.</exception>
    public async Task<(int Attempt, IReadOnlyList<Notification> Reports)> RetryAsync(Guid buildId, CancellationToken cancellationToken)
    {
        var retried = await db.Builds
            .Where(b => b.Id == buildId && (b.Status == BuildStatus.Failed || b.Status == BuildStatus.Cancelled))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, BuildStatus.Queued).SetProperty(b => b.Attempt, b => b.Attempt + 1)
                .SetProperty(b => b.StartedAt, (DateTimeOffset?)null).SetProperty(b => b.FinishedAt, (DateTimeOffset?)null)
                .SetProperty(b => b.CancelRequestedAt, (DateTimeOffset?)null).SetProperty(b => b.FollowUpsDueSince, (DateTimeOffset?)null), cancellationToken);
        if (retried == 1)
            return (await db.Builds.Where(b => b.Id == buildId).Select(b => b.Attempt).FirstAsync(cancellationToken),
                await reports.RecordAsync(buildId, BuildStatus.Queued, cancellationToken));
        var status = await StatusAsync(buildId, cancellationToken);
        throw status == BuildStatus.Succeeded
            ? new ConflictException("build-succeeded", "The build has succeeded.",
                $"Build {buildId} has succeeded; only a failed or cancelled build can be retried.")
            : new ConflictException("build-not-finished", "The build has not finished.",
                $"Build {buildId} is {Name(status)}; only a failed or cancelled build can be retried, once it has finished.");
    }

    /// <summary>Hands the notifications <see cref="RetryAsync"/> recorded to the transport, once its transaction is committed.</summary>
    public Task ReportRetriedAsync(IReadOnlyList<Notification> recorded) => reports.DispatchAsync(recorded);

    /// <summary>
    /// Locks a finished, unpinned build's row until the caller's transaction ends, so no retry can start it again (and
    /// no pin keep it) while its records are deleted: a retry or a pin waits, then finds the build gone.
    /// </summary>
    /// <exception cref="NotFoundException">No such build.</exception>
    /// <exception cref="ConflictException">The build is queued or running, or pinned.</exception>
    public async Task HoldFinishedAsync(Guid buildId, CancellationToken cancellationToken)
    {
        // an update that changes nothing still takes the row lock, with the same condition as every other change
        var held = await db.Builds
            .Where(b => b.Id == buildId && (b.Status == BuildStatus.Succeeded || b.Status == BuildStatus.Failed || b.Status == BuildStatus.Cancelled) && !b.Pinned)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.FinishedAt, b => b.FinishedAt), cancellationToken);
        if (held == 1) return;
        var status = await StatusAsync(buildId, cancellationToken);
        throw status.IsTerminal()
            ? new ConflictException("build-pinned", "The build is pinned.", $"Build {buildId} is pinned; unpin it first (DELETE .../pin), then delete it.")
            : new ConflictException("build-not-finished", "The build has not finished.",
                $"Build {buildId} is {Name(status)}; cancel it first, and delete it once it has finished.");
    }

    /// <summary>
    /// Like <see cref="HoldFinishedAsync"/> for retention: locks the build's row only while it is still what retention
    /// found (<paramref name="status"/>, finished before <paramref name="finishedBefore"/>, not pinned). False when it no
    /// longer is: it was pinned, retried or deleted since.
    /// </summary>
    public async Task<bool> HoldExpiredAsync(Guid buildId, BuildStatus status, DateTimeOffset finishedBefore, CancellationToken cancellationToken) =>
        await db.Builds.Where(b => b.Id == buildId).Where(Expired(status, finishedBefore))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.FinishedAt, b => b.FinishedAt), cancellationToken) == 1;

    /// <summary>
    /// Up to <paramref name="count"/> builds retention may delete, oldest finish first, leaving out <paramref name="skip"/>
    /// (those the same sweep could not delete, so it does not find them again).
    /// </summary>
    public Task<List<Guid>> ExpiredAsync(BuildStatus status, DateTimeOffset finishedBefore, IReadOnlyCollection<Guid> skip, int count,
        CancellationToken cancellationToken) =>
        db.Builds.AsNoTracking().Where(Expired(status, finishedBefore)).Where(b => !skip.Contains(b.Id))
            .OrderBy(b => b.FinishedAt).ThenBy(b => b.Id).Take(count).Select(b => b.Id).ToListAsync(cancellationToken);

    /// <summary>
    /// What retention may delete: a build of <paramref name="status"/> that finished before <paramref name="before"/>, is
    /// not pinned, and owes no follow-ups (a reproduction's verdict, publications): those come first.
    /// </summary>
    private static System.Linq.Expressions.Expression<Func<Build, bool>> Expired(BuildStatus status, DateTimeOffset before) =>
        b => b.Status == status && b.FinishedAt < before && !b.Pinned && b.FollowUpsDueSince == null;

    /// <summary>Pins or unpins a build, in any status; the build's row lock orders it with a deletion under way.</summary>
    /// <exception cref="NotFoundException">No such build (or it was just deleted).</exception>
    public async Task PinAsync(Guid buildId, bool pinned, CancellationToken cancellationToken)
    {
        var changed = await db.Builds.Where(b => b.Id == buildId).ExecuteUpdateAsync(u => u.SetProperty(b => b.Pinned, pinned), cancellationToken);
        if (changed == 0) throw NotFound(buildId);
    }

    /// <summary>Deletes the build's own row, once <see cref="HoldFinishedAsync"/> holds it and its stages are gone (inside one transaction).</summary>
    public Task DeleteAsync(Guid buildId, CancellationToken cancellationToken) =>
        db.Builds.Where(b => b.Id == buildId).ExecuteDeleteAsync(cancellationToken);

    public Task<bool> IsCancelRequestedAsync(Guid buildId, CancellationToken cancellationToken) =>
        db.Builds.AnyAsync(b => b.Id == buildId && b.CancelRequestedAt != null, cancellationToken);

    /// <summary>
    /// Builds waiting for a worker, as <see cref="Submissions.QueueLimits.MaxQueuedBuilds"/> counts them: queued (no stage has
    /// started) or running with no stage running right now (between stages), and not being cancelled.
    /// </summary>
    public Task<int> WaitingCountAsync(CancellationToken cancellationToken) =>
        db.Builds.CountAsync(b => (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running) && b.CancelRequestedAt == null
            && !b.Stages.Any(s => s.Status == StageStatus.Running), cancellationToken);

    /// <summary>
    /// Serialises submissions that check the queue's cap, until the caller's transaction ends, so two at once cannot both
    /// take its last place. The two-key form, in a space of its own (see <see cref="BlobLock"/>).
    /// </summary>
    public Task HoldQueueAsync(CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({QueueLockSpace}, 0)", cancellationToken);

    private const int QueueLockSpace = 0x48425155; // "HBQU"

    /// <summary>Builds not finished that were made before <paramref name="before"/>: the reconciler moves each on.</summary>
    public Task<List<Guid>> UnsettledAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        db.Builds.Where(b => (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running) && b.CreatedAt < before)
            .Select(b => b.Id).ToListAsync(cancellationToken);

    /// <exception cref="NotFoundException">No such build.</exception>
    public async Task<BuildStatus> StatusAsync(Guid buildId, CancellationToken cancellationToken) =>
        await db.Builds.Where(b => b.Id == buildId).Select(b => (BuildStatus?)b.Status).FirstOrDefaultAsync(cancellationToken)
        ?? throw NotFound(buildId);

    public static NotFoundException NotFound(Guid buildId) => new($"There is no build {buildId}.");

    private static string Name(BuildStatus status) => status.ToString().ToLowerInvariant();
}
