using System.Diagnostics;

namespace HybridBuild.Application.Telemetry;

/// <summary>
/// Blob storage as the configured store provides it, with every write traced (a span from its start to its commit or
/// abandonment, under the solve or request that wrote it) and the bytes of new blobs counted. One wrapper for every
/// store, so no provider carries telemetry of its own.
/// </summary>
internal sealed class MeteredBlobStore(IBlobStore inner, HybridBuildMetrics metrics) : IBlobStore
{
    public async Task<IBlobWrite> BeginWriteAsync(string? key, CancellationToken cancellationToken)
    {
        var span = HybridBuildTelemetry.Source.StartActivity(HybridBuildTelemetry.Spans.BlobWrite, ActivityKind.Internal);
        try
        {
            return new Write(await inner.BeginWriteAsync(key, cancellationToken), span, metrics);
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            span?.Dispose();
            throw;
        }
    }

    public Task<int> DeleteTemporariesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken) =>
        inner.DeleteTemporariesAsync(startedBefore, cancellationToken);

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);

    public Task<BlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken) => inner.GetInfoAsync(key, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task<Uri?> GetDownloadUriAsync(string key, BlobDownload download, CancellationToken cancellationToken) =>
        inner.GetDownloadUriAsync(key, download, cancellationToken);

    public Task ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);

    /// <summary>
    /// The span ends at the commit, or at disposal for a write that was abandoned. Both are async methods, so stopping
    /// the span changes the current activity only inside them, never the caller's.
    /// </summary>
    private sealed class Write(IBlobWrite inner, Activity? span, HybridBuildMetrics metrics) : IBlobWrite
    {
        public Stream Content => inner.Content;

        public long Length => inner.Length;

        public async Task<PutResult> CommitAsync(string key, CancellationToken cancellationToken)
        {
            try
            {
                // a store may close its content at the commit: its length is read before
                var length = inner.Length;
                var result = await inner.CommitAsync(key, cancellationToken);
                if (result == PutResult.Created) metrics.Stored(length);
                span?.SetTag(HybridBuildTelemetry.Tags.BlobKey, key).SetTag(HybridBuildTelemetry.Tags.Bytes, length)
                    .SetTag(HybridBuildTelemetry.Tags.Outcome, result == PutResult.Created ? "created" : "alreadyExists");
                return result;
            }
            catch (Exception e)
            {
                span?.SetStatus(ActivityStatusCode.Error, e.Message);
                throw;
            }
            finally
            {
                span?.Stop();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                if (span is { IsStopped: false })
                {
                    span.SetTag(HybridBuildTelemetry.Tags.Outcome, "abandoned");
                    span.Stop();
                }
                span?.Dispose();
            }
        }
    }
}
