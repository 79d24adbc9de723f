using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace HybridBuild.Application.Jobs;

/// <summary>
/// This node's stage slots (<see cref="WorkerOptions.Concurrency"/>), shared by the stages the transport delivers and the
/// ones this node starts itself (<see cref="Offer"/>), so together they never run more at once than the setting allows.
/// </summary>
internal sealed class StageSlots(IOptions<WorkerOptions> options)
{
    private readonly SemaphoreSlim _free = new(options.Value.Concurrency, options.Value.Concurrency);

    public bool TryTake() => _free.Wait(0);

    /// <summary>False when no slot came free within <paramref name="wait"/>.</summary>
    public Task<bool> TakeAsync(TimeSpan wait, CancellationToken cancellationToken) => _free.WaitAsync(wait, cancellationToken);

    public void Release() => _free.Release();
}

/// <summary>
/// The fast path of a stage queued on a worker node: once the stage is handed to the transport (Hangfire, which stays
/// the durable way to a worker), a node with a free slot starts it here at once instead of waiting for the job to go
/// through the queue's notification, fetch and state changes. Both ways run the same <see cref="StageJob"/>, whose claim
/// lets exactly one run: the job that arrives for a stage running here finds it claimed and only moves the build on.
/// A stage offered while every slot is busy is left to the transport. On nodes without the worker role nothing is
/// started (the service is not running there). A stage no slot of the node that queued it took is offered to the other
/// worker nodes too (<see cref="StageOffers"/>).
/// </summary>
internal sealed partial class LocalStages(IServiceScopeFactory scopes, StageSlots slots, ILogger<LocalStages> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, Task> _runs = new();
    private CancellationToken _stopping = new(canceled: true);
    private volatile bool _accepting;

    /// <summary>
    /// Starts the stage on this node if it is a worker with a free slot (true); otherwise the transport's delivery, or
    /// another node's offer, runs it.
    /// </summary>
    public bool Offer(Guid stageId)
    {
        if (!_accepting || _runs.ContainsKey(stageId) || !slots.TryTake()) return false;
        var run = Task.Run(() => RunAsync(stageId), CancellationToken.None);
        _runs[stageId] = run;
        _ = run.ContinueWith(_ => _runs.TryRemove(new KeyValuePair<Guid, Task>(stageId, run)), TaskScheduler.Default);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        _accepting = true;
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // shutting down: runs see the same token, release their stages and end
        }
        finally
        {
            _accepting = false;
            await Task.WhenAll(_runs.Values);
        }
    }

    private async Task RunAsync(Guid stageId)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<StageJob>().RunInSlotAsync(stageId, _stopping);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // the run handed its stage back; the job's delivery or the reconciler runs it again
        }
        catch (Exception e)
        {
            // the stage's record says where it stands: its queued job, or the reconciler, takes it from there
            LogFailed(e, stageId);
        }
        finally
        {
            slots.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stage {StageId} started on this node failed outside its run; its job or the reconciler takes it over")]
    private partial void LogFailed(Exception exception, Guid stageId);
}

/// <summary>
/// Stages queued by another node (an API-only node, or a worker whose slots were full) start on this worker at once,
/// without the queue's fetch and state changes: each worker with a free slot races for the stage, and the claim lets
/// one run it (the others only move the build on). Hangfire's delivery stays the durable way; this is the fast one.
/// </summary>
internal sealed class StageOffers(LocalStages local, IConfiguration configuration, ILogger<StageOffers> logger)
    : Nodes.NodeNotifications(Channel, configuration, logger)
{
    public const string Channel = "hybridbuild_stage_queued";

    /// <summary>The stage's id, and the trace it was queued in (W3C traceparent), so a run on another node stays in that trace.</summary>
    public static string Payload(Guid stageId) =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } trace } ? $"{stageId} {trace}" : stageId.ToString();

    protected override void OnNotification(string payload)
    {
        var parts = payload.Split(' ', 2);
        if (!Guid.TryParse(parts[0], out var stageId)) return;
        // the run started by the offer flows from this activity, which only marks where the trace crossed nodes
        using var offer = Telemetry.HybridBuildTelemetry.Continue(Telemetry.HybridBuildTelemetry.Spans.StageOffer, ActivityKind.Consumer, parts.ElementAtOrDefault(1));
        local.Offer(stageId);
    }
}
