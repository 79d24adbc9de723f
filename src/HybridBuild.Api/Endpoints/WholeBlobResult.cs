using System.Buffers;
using Microsoft.Net.Http.Headers;

namespace HybridBuild.Api.Endpoints;

/// <summary>
/// A whole blob as a 200, read straight into the response's pipe in large chunks: no copy buffer between the blob and
/// the socket, and one flush per chunk rather than per 64 KiB, which is what keeps a large download near the speed of
/// a web server's sendfile. Ranges and conditional requests go through the framework's file result instead.
/// </summary>
internal sealed class WholeBlobResult(Stream content, string contentType, string disposition, EntityTagHeaderValue etag, DateTimeOffset lastModified) : IResult
{
    private const int Chunk = 1 << 20;

    public async Task ExecuteAsync(HttpContext http)
    {
        await using var blob = content;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = blob.Length;
        response.Headers.ContentDisposition = disposition;
        response.Headers.ETag = etag.ToString();
        response.Headers.LastModified = lastModified.ToString("R");
        response.Headers.AcceptRanges = "bytes";
        var writer = response.BodyWriter;
        var left = blob.Length;
        var aborted = http.RequestAborted;
        while (left > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(Chunk, left));
            var read = await blob.ReadAsync(memory[..(int)Math.Min(memory.Length, left)], aborted);
            if (read == 0) throw new IOException($"The blob ended {left} bytes early.");
            writer.Advance(read);
            left -= read;
            var flushed = await writer.FlushAsync(aborted);
            if (flushed.IsCanceled || flushed.IsCompleted) return; // the client went away
        }
    }
}
