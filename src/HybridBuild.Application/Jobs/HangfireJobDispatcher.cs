using Hangfire.States;

namespace HybridBuild.Application.Jobs;

/// <summary>
/// Background work travels as Hangfire jobs that carry only the record's id, each kind on its own queue, served on each
/// worker node by a server of its own (<see cref="WorkerOptions.ConcurrencyOf"/> workers).
/// </summary>
internal sealed class HangfireJobDispatcher(IBackgroundJobClient jobs, JobStorage storage, IOptions<WorkerOptions> options, TimeProvider clock)
    : IJobDispatcher
{
    /// <summary>The queue of the reconciler and other housekeeping, served by a worker of its own.</summary>
    public const string MaintenanceQueue = "maintenance";

    /// <summary>The queue of the retention sweep, served by a worker of its own: a long sweep must not hold up recovery.</summary>
    public const string RetentionQueue = "retention";

    // a job that ended (or vanished) while its record still waits for it will never do the work
    private static readonly string[] EndedStates = [FailedState.StateName, DeletedState.StateName, SucceededState.StateName];

    public static string QueueOf(JobKind kind) => kind switch
    {
        JobKind.Stage => "stages",
        JobKind.Publication => "publications",
        JobKind.SpecFile => "spec-files",
        JobKind.Notification => "notifications",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no queue for this kind of job"),
    };

    public string Dispatch(JobKind kind, Guid id) => kind switch
    {
        JobKind.Stage => jobs.Enqueue<StageJob>(QueueOf(kind), j => j.RunAsync(id, CancellationToken.None)),
        JobKind.Publication => jobs.Enqueue<PublicationJob>(QueueOf(kind), j => j.RunAsync(id, CancellationToken.None)),
        JobKind.SpecFile => jobs.Enqueue<SpecFileJob>(QueueOf(kind), j => j.RunAsync(id, CancellationToken.None)),
        JobKind.Notification => jobs.Enqueue<Notifications.NotificationJob>(QueueOf(kind), j => j.RunAsync(id, CancellationToken.None)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no job for this kind of work"),
    };

    public string Dispatch(JobKind kind, Guid id, TimeSpan delay) => kind switch
    {
        _ when delay <= TimeSpan.Zero => Dispatch(kind, id),
        JobKind.Notification => jobs.Schedule<Notifications.NotificationJob>(QueueOf(kind), j => j.RunAsync(id, CancellationToken.None), delay),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no delayed job for this kind of work"),
    };

    public void Withdraw(string jobId) => jobs.Delete(jobId);

    public bool IsLost(string jobId)
    {
        using var connection = storage.GetConnection();
        var state = connection.GetStateData(jobId);
        if (state is null || EndedStates.Contains(state.Name)) return true;
        if (state.Name != ProcessingState.StateName || !state.Data.TryGetValue("ServerId", out var server)) return false;
        // processing on a server that stopped reporting (killed, out of memory): Hangfire would wait for its invisibility timeout
        var stale = clock.GetUtcNow() - options.Value.NodeTimeout;
        return !storage.GetMonitoringApi().Servers().Any(s => s.Name == server && s.Heartbeat is { } beat && new DateTimeOffset(beat, TimeSpan.Zero) >= stale);
    }
}
