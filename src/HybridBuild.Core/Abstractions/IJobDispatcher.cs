namespace HybridBuild.Core.Abstractions;

/// <summary>The kinds of background work; each travels on its own queue, so one kind cannot starve another.</summary>
public enum JobKind
{
    /// <summary>One stage of a build: a BuildKit solve.</summary>
    Stage,
    /// <summary>Publishing a build's artifacts or images to a target.</summary>
    Publication,
    /// <summary>Reading a trigger's spec file at a pushed commit, then starting its build.</summary>
    SpecFile,
    /// <summary>Sending a build's notification: a commit status or a signed webhook.</summary>
    Notification,
}

/// <summary>
/// Hands background work to whichever node has room. Transport only: a job carries the id of the record it works on,
/// and the database says what that record's state is, so a job delivered twice, late or never is recovered by the
/// reconciler from the records alone.
/// </summary>
public interface IJobDispatcher
{
    /// <summary>Queues the work on <paramref name="id"/> and returns the transport's id for the job.</summary>
    string Dispatch(JobKind kind, Guid id);

    /// <summary>Queues the work on <paramref name="id"/> to run once <paramref name="delay"/> has passed (a retry's back-off).</summary>
    string Dispatch(JobKind kind, Guid id, TimeSpan delay);

    /// <summary>Withdraws a queued or running job; a running one sees its cancellation token fire.</summary>
    void Withdraw(string jobId);

    /// <summary>
    /// Whether a job can no longer do its work: it ended, vanished, or was taken by a server that is gone.
    /// Unknown ids count as lost.
    /// </summary>
    bool IsLost(string jobId);
}
