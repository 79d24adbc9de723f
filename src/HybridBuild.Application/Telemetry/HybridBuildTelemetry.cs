using System.Diagnostics;

namespace HybridBuild.Application.Telemetry;

/// <summary>
/// The one name the service's spans and metrics go under ("HybridBuild"), and the source of its spans. A span started
/// with no listener (no OTLP export configured, no test listening) costs a null check.
/// </summary>
public static class HybridBuildTelemetry
{
    public const string Name = "HybridBuild";

    /// <summary>Spans: a build's submission, the jobs that carry its work, each stage run, its BuildKit solve, its blob writes.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// Continues a trace carried across a process boundary (a job's parameters, a notification to other nodes) with
    /// <paramref name="name"/> as a span when something records spans; otherwise as a bare activity of that trace, so
    /// log lines still carry its id. Null without a valid W3C trace parent. Dispose it when the work ends.
    /// </summary>
    public static Activity? Continue(string name, ActivityKind kind, string? traceParent, string? traceState = null)
    {
        if (traceParent is null || !ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent)) return null;
        return Source.StartActivity(name, kind, parent)
            ?? new Activity(name).SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags).Start();
    }

    /// <summary>Span names, fixed (what varies goes into tags), so a trace backend can group them.</summary>
    public static class Spans
    {
        public const string Submit = "build.submit";
        public const string Stage = "stage.run";
        public const string Solve = "buildkit.solve";
        public const string BlobWrite = "blob.write";
        public const string StageOffer = "stage.offer";
    }

    /// <summary>Span tags of the service's own.</summary>
    public static class Tags
    {
        public const string BuildId = "hybridbuild.build.id";
        public const string Stage = "hybridbuild.stage";
        public const string Builder = "hybridbuild.builder";
        public const string Outcome = "hybridbuild.outcome";
        public const string JobId = "hybridbuild.job.id";
        public const string Queue = "hybridbuild.job.queue";
        public const string BlobKey = "hybridbuild.blob.key";
        public const string Bytes = "hybridbuild.blob.bytes";
    }
}
