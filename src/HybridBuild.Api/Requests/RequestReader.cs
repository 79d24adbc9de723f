using System.Security.Cryptography;
using HybridBuild.Application.Pipeline;
using HybridBuild.Application.Requests;
using HybridBuild.Application.Secrets;
using HybridBuild.Application.Submissions;
using HybridBuild.Core.Sources;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace HybridBuild.Api.Requests;

/// <summary>
/// Reads a build request: a JSON spec, or multipart/form-data with a <c>spec</c> part and a <c>context</c> part.
/// The context is streamed to a temporary file (never held in memory), bounded in size, then checked entry by entry.
/// </summary>
internal sealed class RequestReader(IOptions<ContextLimits> limits, ScratchSpace scratch)
{
    private const int MaxSpecBytes = 4 << 20;
    private const int MaxBoundaryLength = 70;

    public async Task<SubmittedRequest> ReadAsync(HttpRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType is { } value && MediaTypeHeaderValue.TryParse(value, out var parsed) ? parsed : null;
        var mediaType = contentType?.MediaType.Value?.ToLowerInvariant();
        if (mediaType is "application/json" || mediaType?.EndsWith("+json") == true)
        {
            var bytes = await BoundedBody.ReadAsync(request.Body, MaxSpecBytes, "The build spec", cancellationToken);
            return new SubmittedRequest { Caller = caller, Spec = ParseSpec(bytes, "body"), Fingerprint = Idempotency.Fingerprint(bytes) };
        }
        if (mediaType == "multipart/form-data")
        {
            if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = null; // the context part is bounded by Limits:MaxArchiveBytes below
            var boundary = HeaderUtilities.RemoveQuotes(contentType!.Boundary).Value;
            if (string.IsNullOrEmpty(boundary))
                throw new BadRequestException("bad-multipart", "The multipart request is not valid.", "The multipart/form-data content type has no boundary.", "boundary");
            if (boundary.Length > MaxBoundaryLength) // RFC 2046 §5.1.1; MultipartReader throws on a longer one
                throw new BadRequestException("bad-multipart", "The multipart request is not valid.",
                    $"The multipart boundary is {boundary.Length} characters long; RFC 2046 allows at most {MaxBoundaryLength}.", "boundary");
            try
            {
                return await ReadMultipartAsync(new MultipartReader(boundary, request.Body) { BodyLengthLimit = null }, caller, cancellationToken);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new BadRequestException("bad-multipart", "The multipart request is not valid.", e.Message);
            }
        }
        throw new UnsupportedContentTypeException(
            $"Content type '{request.ContentType ?? "(none)"}' is not accepted: send application/json (a spec with a git or inline source) or multipart/form-data (a 'spec' part and a 'context' tar or tar.gz part).");
    }

    private async Task<SubmittedRequest> ReadMultipartAsync(MultipartReader reader, Caller caller, CancellationToken cancellationToken)
    {
        byte[]? spec = null;
        string? contextFile = null;
        string? contextHash = null;
        long contextSize = 0;
        try
        {
            for (var section = await reader.ReadNextSectionAsync(cancellationToken); section is not null;
                 section = await reader.ReadNextSectionAsync(cancellationToken))
            {
                var name = section.GetContentDispositionHeader()?.Name.Value;
                switch (name)
                {
                    case "spec" when spec is null:
                        spec = await BoundedBody.ReadAsync(section.Body, MaxSpecBytes, "The spec part", cancellationToken);
                        break;
                    case "context" when contextFile is null:
                        // spooled in the work directory (a data volume in the container), not in a small /tmp
                        contextFile = scratch.NewUploadFile();
                        (contextSize, contextHash) = await SpoolAsync(section.Body, contextFile, cancellationToken);
                        break;
                    default:
                        throw new BadRequestException("bad-multipart", "The multipart request is not valid.",
                            $"Unexpected part '{name}': send one 'spec' part and one 'context' part.", name);
                }
            }
            if (spec is null)
                throw new BadRequestException("bad-multipart", "The multipart request is not valid.", "The 'spec' part (the build spec as JSON) is missing.", "spec");
            if (contextFile is null)
                throw new BadRequestException("bad-multipart", "The multipart request is not valid.", "The 'context' part (a tar or tar.gz build context) is missing.", "context");

            var parsedSpec = ParseSpec(spec, "spec");
            bool gzip;
            IReadOnlySet<string> entries;
            await using (var archive = new FileStream(contextFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            {
                gzip = ContextArchive.IsGzip(archive);
                entries = await ContextArchive.ValidateAsync(archive, gzip, limits.Value, cancellationToken);
            }
            var dockerfile = parsedSpec.Dockerfile ?? "Dockerfile";
            if (SpecRules.IsSafeRelativePath(dockerfile) && !entries.Contains(dockerfile.Trim('/')))
                throw new InvalidContextException($"The context has no '{dockerfile}' (set 'dockerfile' in the spec to its path inside the context).");
            var request = new SubmittedRequest
            {
                Caller = caller,
                Spec = parsedSpec,
                Fingerprint = Idempotency.Fingerprint([.. spec, .. Encoding.ASCII.GetBytes(contextHash!)]),
                ContextFile = contextFile,
                ContextIsGzip = gzip,
                ContextSize = contextSize,
            };
            contextFile = null; // owned by the request now
            return request;
        }
        finally
        {
            if (contextFile is not null) File.Delete(contextFile);
        }
    }

    private async Task<(long Size, string Sha256)> SpoolAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        var max = limits.Value.MaxArchiveBytes;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > max)
                throw new PayloadTooLargeException($"The context is larger than {max} bytes (Limits:MaxArchiveBytes).");
            hash.AppendData(buffer, 0, read);
            try
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            catch (IOException e)
            {
                // the server's disk, not the request: not a 400
                throw new InvalidOperationException($"Could not spool the uploaded context: {e.Message}", e);
            }
        }
        if (total == 0) throw new InvalidContextException("The context part is empty.");
        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static BuildSpec ParseSpec(byte[] json, string where)
    {
        try
        {
            return JsonSerializer.Deserialize<BuildSpec>(json, ApiJson.Strict)
                ?? throw new BadRequestException("bad-json", "The build spec is not valid JSON.", $"The {where} is JSON null; send a build spec object.", where);
        }
        catch (JsonException e)
        {
            var at = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? where : e.Path.TrimStart('$', '.');
            throw new BadRequestException("bad-json", "The build spec is not valid JSON.", $"The {where} could not be read at '{at}': {FirstSentence(e.Message)}", at);
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

}
