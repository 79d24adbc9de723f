using Hangfire;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Api.Pipeline;

/// <summary>Stages travel to workers as Hangfire jobs that carry only the stage id.</summary>
internal sealed class HangfireStageQueue(IBackgroundJobClient jobs) : IStageQueue
{
    public const string Queue = "stages";

    public string Enqueue(Guid stageId) => jobs.Enqueue<StageJob>(Queue, job => job.RunAsync(stageId, CancellationToken.None));

    public void Withdraw(string jobId) => jobs.Delete(jobId);
}
