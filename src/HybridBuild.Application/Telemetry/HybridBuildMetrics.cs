using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HybridBuild.Application.Telemetry;

/// <summary>
/// The service's measured events, recorded where they happen: stage runs, waits in the queue, bytes into blob storage
/// and bytes served from it. Labels are bounded: kinds, outcomes and builder names from configuration, never ids or
/// user input. Prometheus sees them as hybridbuild_stage_duration_seconds, hybridbuild_queue_wait_seconds,
/// hybridbuild_blob_stored_bytes_total and hybridbuild_blob_served_bytes_total.
/// </summary>
public sealed class HybridBuildMetrics
{
    /// <summary>Seconds, from a quick cached stage to a long compile (two hours is the default stage timeout).</summary>
    private static readonly double[] DurationBuckets = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _stored;
    private readonly Counter<long> _served;

    public HybridBuildMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(HybridBuildTelemetry.Name);
        var buckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets };
        _stageDuration = meter.CreateHistogram("hybridbuild.stage.duration", "s",
            "How long stage runs took, from their claim to their outcome, by outcome.", advice: buckets);
        _queueWait = meter.CreateHistogram("hybridbuild.queue.wait", "s",
            "How long work waited between being queued and being started, by kind.", advice: buckets);
        _stored = meter.CreateCounter<long>("hybridbuild.blob.stored", "By", "Bytes committed to blob storage as new blobs (artifacts, contexts).");
        _served = meter.CreateCounter<long>("hybridbuild.blob.served", "By", "Bytes of artifacts read from blob storage for downloads.");
    }

    public void StageFinished(TimeSpan duration, StageStatus outcome) =>
        _stageDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", EnumNames<StageStatus>.NameOf(outcome)));

    public void Started(JobKind kind, TimeSpan waited) =>
        _queueWait.Record(Math.Max(0, waited.TotalSeconds), new KeyValuePair<string, object?>("kind", EnumNames<JobKind>.NameOf(kind)));

    public void Stored(long bytes) => _stored.Add(bytes);

    public void Served(long bytes) => _served.Add(bytes);

    /// <summary>The blob's content, counting what is read of it (a download, whole, ranged or in an archive) as served.</summary>
    public Stream CountServed(Stream content) => new ServedStream(content, this);
}
