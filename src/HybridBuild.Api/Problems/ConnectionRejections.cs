using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections;
using HybridBuild.Api.Hosting;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HybridBuild.Api.Problems;

/// <summary>
/// Kestrel refuses some requests before the service sees them — a NUL (%00) in the path, a malformed request line or
/// header, headers over the limit, a request line over the limit, headers that arrive too slowly — and answers those
/// with a bare status and no body. This connection middleware turns such an answer into a problem+json one, so every
/// refusal says what was wrong. It only looks at what Kestrel writes while no request of the connection is inside the
/// service (<see cref="UseRequestTracking"/> marks those), and only at a whole response head of the exact shape
/// Kestrel gives its refusals (an error status, <c>Content-Length: 0</c>, <c>Connection: close</c>); everything else
/// passes through untouched, with no copy.
/// </summary>
internal static class ConnectionRejections
{
    private const string ItemKey = "hybridbuild.connection-state";

    /// <summary>Wraps each HTTP/1.x connection's output; HTTP/2 refuses such requests by resetting the stream.</summary>
    public static void Use(ListenOptions listen) => listen.Use(next => connection =>
    {
        var state = new ConnectionState();
        connection.Items[ItemKey] = state;
        connection.Transport = new Duplex(connection.Transport.Input, new RejectionWriter(connection.Transport.Output, state));
        return next(connection);
    });

    /// <summary>Marks the time a request spends inside the service, so its response is never mistaken for a refusal.</summary>
    public static IApplicationBuilder UseRequestTracking(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        if (http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var item) != true || item is not ConnectionState state)
            return next(http);
        Interlocked.Increment(ref state.RequestsInService);
        http.Response.OnCompleted(() =>
        {
            Interlocked.Decrement(ref state.RequestsInService);
            return Task.CompletedTask;
        });
        return next(http);
    });

    private sealed class ConnectionState
    {
        public int RequestsInService;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// Passes Kestrel's writes through to the transport. Kestrel writes a refusal's head with one GetSpan/Advance into
    /// the transport's own memory; when that head is a refusal, the advance is withheld (the bytes are dropped) and a
    /// problem response is written in its place.
    /// </summary>
    private sealed class RejectionWriter(PipeWriter inner, ConnectionState state) : PipeWriter
    {
        private Memory<byte> _lent;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _lent = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0)
        {
            _lent = inner.GetMemory(sizeHint);
            return _lent.Span;
        }

        public override void Advance(int bytes)
        {
            if (bytes > 0 && bytes <= _lent.Length && Volatile.Read(ref state.RequestsInService) == 0
                && RefusalStatus(_lent.Span[..bytes]) is { } status)
            {
                _lent = default;
                WriteProblem(status);
                return;
            }
            _lent = default;
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;

        private void WriteProblem(int status)
        {
            var (slug, title, detail) = Describe(status);
            var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
            {
                ["type"] = ProblemExceptionHandler.TypePrefix + slug,
                ["title"] = title,
                ["status"] = status,
                ["detail"] = detail,
            });
            var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"HTTP/1.1 {status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)}\r\nContent-Type: application/problem+json\r\nContent-Length: {body.Length}\r\n" +
                $"Connection: close\r\nDate: {DateTimeOffset.UtcNow:R}\r\n\r\n"));
            inner.Write(head);
            inner.Write(body);
        }
    }

    private static ReadOnlySpan<byte> StatusLinePrefix => "HTTP/1.1 "u8;
    private static ReadOnlySpan<byte> EmptyBody => "\r\nContent-Length: 0\r\n"u8;
    private static ReadOnlySpan<byte> Closing => "\r\nConnection: close\r\n"u8;
    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>The status of a write that is exactly one refusal head of Kestrel's shape, or null.</summary>
    internal static int? RefusalStatus(ReadOnlySpan<byte> written)
    {
        if (written.Length > 1024 || !written.StartsWith(StatusLinePrefix) || !written.EndsWith(HeadEnd)) return null;
        if (written.IndexOf(HeadEnd) != written.Length - HeadEnd.Length) return null; // one head, nothing after it
        if (written.IndexOf(EmptyBody) < 0 || written.IndexOf(Closing) < 0) return null;
        var code = written.Slice(StatusLinePrefix.Length, Math.Min(3, written.Length - StatusLinePrefix.Length));
        if (!int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var status)) return null;
        return status is >= 400 and < 600 ? status : null;
    }

    private static (string Slug, string Title, string Detail) Describe(int status) => status switch
    {
        400 => ("bad-request", "The request is not valid.",
            "The request line or a header could not be read: for example a NUL character (%00) or a malformed escape in the path, " +
            "a header with characters HTTP does not allow, or a missing or repeated Host header."),
        408 => ("request-timeout", "The request took too long to arrive.", $"The request's headers did not arrive within {KestrelSetup.RequestHeadersTimeout.TotalSeconds:0} s."),
        413 => ("too-large", "The request is too large.", "The request body is larger than this endpoint accepts."),
        414 => ("uri-too-long", "The request line is too long.", $"The request line (method, path and query) is longer than the {KestrelSetup.MaxRequestLineBytes / 1024} KiB the service accepts."),
        431 => ("headers-too-large", "The request headers are too large.", $"The request has more than {KestrelSetup.MaxRequestHeaders} headers, or more than {KestrelSetup.MaxRequestHeaderBytes / 1024} KiB of them."),
        _ => ("bad-request", "The request is not valid.", "The request could not be read."),
    };

}
