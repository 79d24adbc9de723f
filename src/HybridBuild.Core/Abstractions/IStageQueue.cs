namespace HybridBuild.Core.Abstractions;

/// <summary>Hands stages to workers. Transport only: the database says what a stage's state is.</summary>
public interface IStageQueue
{
    /// <summary>Queues a stage and returns the queue's id for it.</summary>
    string Enqueue(Guid stageId);

    /// <summary>Withdraws a queued or running job; a running one sees its cancellation token fire.</summary>
    void Withdraw(string jobId);
}
