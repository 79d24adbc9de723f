using HybridBuild.Application.Telemetry;
using Microsoft.AspNetCore.StaticFiles;
using HybridBuild.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace HybridBuild.Api.Endpoints;

internal static class ArtifactEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = CreateContentTypes();

    public static RouteGroupBuilder MapArtifacts(this RouteGroupBuilder api)
    {
        var artifacts = api.MapGroup("/builds/{id:guid}/artifacts").WithTags("Artifacts").RequireAuthorization(ApiScopes.BuildsRead);

        artifacts.MapGet("/", ManifestAsync).WithName("GetArtifactManifest")
            .WithSummary("Every artifact of a build: stage, path, size, SHA-256, file mode, platform and download link")
            .ProducesProblem(StatusCodes.Status404NotFound);

        artifacts.MapGet("/{stage}", StageAsync).WithName("DownloadStageArtifacts")
            .WithSummary("A stage's artifacts: the manifest, or the whole set as an archive with format=zip or format=tar.gz")
            .WithDescription("tar.gz keeps file modes, so executables stay executable; zip records them as Unix attributes.")
            .Produces<ArtifactManifest>(StatusCodes.Status200OK, "application/json", "application/gzip", "application/zip")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        artifacts.MapGet("/{stage}/{**path}", FileAsync).WithName("DownloadArtifact")
            .WithSummary("One artifact file, with Range, ETag (its SHA-256) and a content type")
            .WithDescription("With Storage:Downloads=Redirect and an object store, the answer is a 307 to a short-lived presigned URL (S3) or SAS (Azure); "
                + "redirect=false asks for the file itself (the web console, whose policy lets it fetch from its own origin only).")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent).Produces(StatusCodes.Status304NotModified).Produces(StatusCodes.Status307TemporaryRedirect)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ManifestAsync(Guid id, BuildDbContext db, CancellationToken cancellationToken)
    {
        await EnsureBuildAsync(db, id, cancellationToken);
        var items = await db.Artifacts.AsNoTracking().Where(a => a.BuildId == id)
            .OrderBy(a => a.StageName).ThenBy(a => a.Path).ToListAsync(cancellationToken);
        return TypedResults.Ok(new ArtifactManifest(id, items.Select(a => ArtifactResponse.From(id, a)).ToList()));
    }

    private static async Task<IResult> StageAsync(Guid id, string stage, string? format, HttpContext http, BuildDbContext db, IBlobStore blobs,
        HybridBuildMetrics metrics, CancellationToken cancellationToken)
    {
        var record = await FindStageAsync(db, id, stage, cancellationToken);
        if (format is not null && format is not ("zip" or "tar.gz"))
            throw new BadRequestException("bad-query", "The query is not valid.", $"format '{format}' is not one of: zip, tar.gz.", "format");
        if (!record.Output.Type.StoresArtifacts())
            throw new ConflictException("no-artifacts", "The stage has no artifacts.",
                $"Stage '{stage}' has a(n) {record.Output.Type.ToString().ToLowerInvariant()} output; only artifacts, oci and docker outputs store files.");
        if (record.Status != StageStatus.Succeeded)
            throw new ConflictException("stage-not-succeeded", "The stage's artifacts are not available.",
                $"Stage '{stage}' is {record.Status.ToString().ToLowerInvariant()}; its artifacts are available once it has succeeded.");
        var items = await db.Artifacts.AsNoTracking().Where(a => a.StageId == record.Id).OrderBy(a => a.Path).ToListAsync(cancellationToken);
        if (format is null)
            return TypedResults.Ok(new ArtifactManifest(id, items.Select(a => ArtifactResponse.From(id, a)).ToList()));

        // every blob is checked before the first byte is sent: a missing one must not become a truncated 200
        foreach (var item in items)
            if (await blobs.GetInfoAsync(item.BlobKey, cancellationToken) is null)
                throw new InvalidOperationException($"Artifact '{item.Path}' is recorded but its blob {item.BlobKey} is missing.");
        var fileName = $"{id:N}-{stage}.{format}";
        http.Response.ContentType = format == "zip" ? "application/zip" : "application/gzip";
        http.Response.Headers.ContentDisposition = Attachment(fileName);
        if (format == "zip") await ArtifactArchives.WriteZipAsync(items, blobs, metrics, http.Response.Body, cancellationToken);
        else await ArtifactArchives.WriteTarGzAsync(items, blobs, metrics, http.Response.Body, cancellationToken);
        return Results.Empty;
    }

    private static async Task<IResult> FileAsync(Guid id, string stage, string path, bool? redirect, HttpContext http, BuildDbContext db, IBlobStore blobs,
        IOptions<StorageOptions> storage, HybridBuildMetrics metrics, CancellationToken cancellationToken)
    {
        var record = await FindStageAsync(db, id, stage, cancellationToken);
        var artifact = await db.Artifacts.AsNoTracking().FirstOrDefaultAsync(a => a.StageId == record.Id && a.Path == path, cancellationToken)
            ?? throw new NotFoundException($"Stage '{stage}' of build {id} has no artifact '{path}'.");
        if (!ContentTypes.TryGetContentType(artifact.Path, out var contentType)) contentType = "application/octet-stream";
        if (storage.Value.Downloads == DownloadMode.Redirect && redirect != false
            && await blobs.GetDownloadUriAsync(artifact.BlobKey, new BlobDownload(Attachment(Path.GetFileName(artifact.Path)), contentType,
                storage.Value.DownloadUrlLifetime), cancellationToken) is { } direct)
        {
            // the URL grants read access for a while: no cache may keep the redirect
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Redirect(direct.AbsoluteUri, permanent: false, preserveMethod: true);
        }
        var content = metrics.CountServed(await blobs.OpenReadAsync(artifact.BlobKey, cancellationToken)
            ?? throw new InvalidOperationException($"Artifact '{path}' is recorded but its blob {artifact.BlobKey} is missing."));
        if (content.CanSeek && content.Length is var length && Unsatisfiable(http.Request, length) is { } range)
        {
            await content.DisposeAsync();
            throw new RangeNotSatisfiableException(length, $"Range '{range}' starts past the end of '{path}', which is {length} bytes.");
        }
        var etag = new EntityTagHeaderValue($"\"{artifact.Sha256}\"");
        if (content.CanSeek && !Conditional(http.Request))
            return new WholeBlobResult(content, contentType, Attachment(Path.GetFileName(artifact.Path)), etag, artifact.CreatedAt);
        return TypedResults.Stream(content, contentType, Path.GetFileName(artifact.Path), artifact.CreatedAt,
            etag, enableRangeProcessing: content.CanSeek && !OtherRangeUnit(http.Request));
    }

    /// <summary>
    /// A bytes Range none of whose ranges overlaps the content, else null. Other units and unreadable headers are
    /// ignored (the whole file is sent), as RFC 9110 §14.2 asks; the framework serves the satisfiable ones.
    /// </summary>
    private static string? Unsatisfiable(HttpRequest request, long length)
    {
        if (request.Headers.Range.Count == 0 || !RangeHeaderValue.TryParse(request.Headers.Range.ToString(), out var range)
            || !range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase) || range.Ranges.Count == 0)
            return null;
        var satisfiable = range.Ranges.Any(r => r.From is { } from ? from < length : r.To is > 0 && length > 0);
        return satisfiable ? null : request.Headers.Range.ToString();
    }

    /// <summary>A request the framework's file result answers (ranges, 304s), rather than the whole blob as it is.</summary>
    private static bool Conditional(HttpRequest request) =>
        request.Headers.Range.Count > 0 || request.Headers.IfNoneMatch.Count > 0 || request.Headers.IfModifiedSince.Count > 0
        || request.Headers.IfMatch.Count > 0 || request.Headers.IfUnmodifiedSince.Count > 0 || request.Headers.IfRange.Count > 0;

    /// <summary>A Range in a unit other than bytes (items=0-5): the framework would serve it as bytes; it is ignored instead.</summary>
    private static bool OtherRangeUnit(HttpRequest request) =>
        request.Headers.Range.Count > 0 && RangeHeaderValue.TryParse(request.Headers.Range.ToString(), out var range)
        && !range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase);

    private static async Task EnsureBuildAsync(BuildDbContext db, Guid id, CancellationToken cancellationToken)
    {
        if (!await db.Builds.AnyAsync(b => b.Id == id, cancellationToken)) throw new NotFoundException($"There is no build {id}.");
    }

    private static async Task<Stage> FindStageAsync(BuildDbContext db, Guid id, string stage, CancellationToken cancellationToken)
    {
        await EnsureBuildAsync(db, id, cancellationToken);
        return await db.Stages.AsNoTracking().FirstOrDefaultAsync(s => s.BuildId == id && s.Name == stage, cancellationToken)
            ?? throw new NotFoundException($"Build {id} has no stage '{stage}'.");
    }

    private static string Attachment(string fileName) => new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName }.ToString();

    private static FileExtensionContentTypeProvider CreateContentTypes()
    {
        var provider = new FileExtensionContentTypeProvider();
        provider.Mappings[".wasm"] = "application/wasm";
        provider.Mappings[".exe"] = "application/vnd.microsoft.portable-executable";
        provider.Mappings[".dll"] = "application/vnd.microsoft.portable-executable";
        return provider;
    }
}
