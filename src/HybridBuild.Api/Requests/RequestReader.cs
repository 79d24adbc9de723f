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
/// The context is streamed into blob storage as it arrives (never held in memory, never spooled), bounded in size and
/// checked entry by entry on the way; it is committed under the build's key only once the build is stored.
/// </summary>
internal sealed class RequestReader(IOptions<ContextLimits> limits, IBlobStore blobs)
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
        IBlobWrite? context = null;
        (bool Gzip, IReadOnlySet<string> Entries, string Sha256, long Size) upload = default;
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
                    case "context" when context is null:
                        context = await blobs.BeginWriteAsync(null, cancellationToken);
                        upload = await StoreAsync(section.Body, context, cancellationToken);
                        break;
                    default:
                        throw new BadRequestException("bad-multipart", "The multipart request is not valid.",
                            $"Unexpected part '{name}': send one 'spec' part and one 'context' part.", name);
                }
            }
            if (spec is null)
                throw new BadRequestException("bad-multipart", "The multipart request is not valid.", "The 'spec' part (the build spec as JSON) is missing.", "spec");
            if (context is null)
                throw new BadRequestException("bad-multipart", "The multipart request is not valid.", "The 'context' part (a tar or tar.gz build context) is missing.", "context");

            var parsedSpec = ParseSpec(spec, "spec");
            var dockerfile = parsedSpec.Dockerfile ?? "Dockerfile";
            if (SpecRules.IsSafeRelativePath(dockerfile) && !upload.Entries!.Contains(dockerfile.Trim('/')))
                throw new InvalidContextException($"The context has no '{dockerfile}' (set 'dockerfile' in the spec to its path inside the context).");
            var request = new SubmittedRequest
            {
                Caller = caller,
                Spec = parsedSpec,
                Fingerprint = Idempotency.Fingerprint([.. spec, .. Encoding.ASCII.GetBytes(upload.Sha256!)]),
                Context = context,
                ContextIsGzip = upload.Gzip,
                ContextSize = upload.Size,
            };
            context = null; // owned by the request now
            return request;
        }
        finally
        {
            if (context is not null) await context.DisposeAsync(); // abandoned: its temporary goes
        }
    }

    /// <summary>Streams the context part into <paramref name="blob"/>, validating the archive as it passes.</summary>
    private async Task<(bool Gzip, IReadOnlySet<string> Entries, string Sha256, long Size)> StoreAsync(Stream body, IBlobWrite blob, CancellationToken cancellationToken)
    {
        await using var upload = new UploadStream(body, blob, limits.Value.MaxArchiveBytes);
        var gzip = await upload.StartsWithGzipAsync(cancellationToken);
        try
        {
            var entries = await ContextArchive.ValidateAsync(upload, gzip, limits.Value, cancellationToken);
            var sha256 = await upload.FinishAsync(cancellationToken);
            if (upload.Total == 0) throw new InvalidContextException("The context part is empty.");
            return (gzip, entries, sha256, upload.Total);
        }
        catch (InvalidContextException) when (upload.Total == 0)
        {
            throw new InvalidContextException("The context part is empty.");
        }
        catch (InvalidContextException)
        {
            await upload.DiscardRestAsync(cancellationToken); // too large is the answer when it is both
            throw;
        }
        catch (UploadStream.StoreFailedException e)
        {
            throw new InvalidOperationException(e.Message, e.InnerException);
        }
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
