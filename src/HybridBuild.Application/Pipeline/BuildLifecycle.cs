using HybridBuild.Core.Domain;
using HybridBuild.Core.Errors;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;

namespace HybridBuild.Application.Pipeline;

/// <summary>Every state change of a build, each a conditional update on the state it leaves; the error texts a client sees.</summary>
internal sealed class BuildLifecycle(BuildDbContext db, TimeProvider clock)
{
    /// <summary>Queued → running, when its first stage starts.</summary>
    public Task StartAsync(Guid buildId, CancellationToken cancellationToken) =>
        db.Builds.Where(b => b.Id == buildId && b.Status == BuildStatus.Queued)
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, BuildStatus.Running).SetProperty(b => b.StartedAt, clock.GetUtcNow()), cancellationToken);

    /// <summary>Not finished → <paramref name="status"/>; true for the one caller that settled it.</summary>
    public async Task<bool> SettleAsync(Guid buildId, BuildStatus status, CancellationToken cancellationToken) =>
        await db.Builds.Where(b => b.Id == buildId && (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running))
            .ExecuteUpdateAsync(u => u.SetProperty(b => b.Status, status).SetProperty(b => b.FinishedAt, clock.GetUtcNow()), cancellationToken) == 1;

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

    public Task<bool> IsCancelRequestedAsync(Guid buildId, CancellationToken cancellationToken) =>
        db.Builds.AnyAsync(b => b.Id == buildId && b.CancelRequestedAt != null, cancellationToken);

    /// <summary>Builds not finished that were made before <paramref name="before"/>: the reconciler moves each on.</summary>
    public Task<List<Guid>> UnsettledAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        db.Builds.Where(b => (b.Status == BuildStatus.Queued || b.Status == BuildStatus.Running) && b.CreatedAt < before)
            .Select(b => b.Id).ToListAsync(cancellationToken);

    /// <exception cref="NotFoundException">No such build.</exception>
    public async Task<BuildStatus> StatusAsync(Guid buildId, CancellationToken cancellationToken) =>
        await db.Builds.Where(b => b.Id == buildId).Select(b => (BuildStatus?)b.Status).FirstOrDefaultAsync(cancellationToken)
        ?? throw NotFound(buildId);

    public static NotFoundException NotFound(Guid buildId) => new($"There is no build {buildId}.");
}
