using System.Diagnostics;
using Hangfire.Client;
using Hangfire.Server;

namespace HybridBuild.Application.Telemetry;

/// <summary>
/// Keeps a job in the trace that queued it: the job is created with the W3C trace context of the activity current at
/// that moment (the request that submitted a build, or the stage run whose end queued the next), and performed under a
/// span whose parent that context is. Work queued again by the reconciler joins the reconciler's trace instead.
/// A job created outside any trace (the recurring sweeps) runs without a span. Without a listener for the service's
/// spans the job still runs under an activity of the same trace, so its log lines carry the trace id of the request.
/// </summary>
internal sealed class JobTraceContext : IClientFilter, IServerFilter
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";
    private const string Span = "hybridbuild.span";

    public void OnCreating(CreatingContext context)
    {
        if (Activity.Current is not { IdFormat: ActivityIdFormat.W3C } current) return;
        context.SetJobParameter(TraceParent, current.Id);
        if (current.TraceStateString is { } state) context.SetJobParameter(TraceState, state);
    }

    public void OnCreated(CreatedContext context) { }

    /// <summary>
    /// Runs on the worker's thread just before the job's method, in the same synchronous call chain, so the activity
    /// started here is current for the whole job.
    /// </summary>
    public void OnPerforming(PerformingContext context)
    {
        var job = context.BackgroundJob.Job;
        var span = HybridBuildTelemetry.Continue($"{job.Type.Name}.{job.Method.Name}", ActivityKind.Consumer,
            context.GetJobParameter<string>(TraceParent), context.GetJobParameter<string>(TraceState));
        if (span is null) return;
        span.SetTag(HybridBuildTelemetry.Tags.JobId, context.BackgroundJob.Id);
        span.SetTag(HybridBuildTelemetry.Tags.Queue, job.Queue);
        context.Items[Span] = span;
    }

    public void OnPerformed(PerformedContext context)
    {
        if (!context.Items.TryGetValue(Span, out var item) || item is not Activity span) return;
        if (context.Exception is { } e && !context.ExceptionHandled) span.SetStatus(ActivityStatusCode.Error, e.GetBaseException().Message);
        span.Dispose();
    }
}
