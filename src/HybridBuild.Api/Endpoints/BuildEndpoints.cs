using HybridBuild.Application.Pipeline;
using HybridBuild.Application.Requests;
using HybridBuild.Application.Submissions;
using HybridBuild.Api.Requests;

namespace HybridBuild.Api.Endpoints;

internal static class BuildEndpoints
{
    public static RouteGroupBuilder MapBuilds(this RouteGroupBuilder api)
    {
        var builds = api.MapGroup("/builds").WithTags("Builds");

        builds.MapPost("/", SubmitAsync).WithName("SubmitBuild").RequireAuthorization(ApiScopes.BuildsWrite)
            .WithSummary("Submit a staged build")
            .WithDescription("Takes a JSON build spec whose source is a git repository or inline files, or multipart/form-data with a 'spec' part (the JSON) and a 'context' part (a tar or tar.gz build context). Answers 202 with the build and its Location. An Idempotency-Key header makes a retried request return the same build. 429 (with Retry-After) when Limits:MaxQueuedBuilds builds already wait for a worker; nothing is stored then.")
            // the request body (JSON or multipart) is documented by OpenApiSetup; the handler checks the content type itself to answer 415 as a problem
            .Produces<BuildResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .DisableAntiforgery();

        builds.MapGet("/", ListAsync).WithName("ListBuilds").RequireAuthorization(ApiScopes.BuildsRead)
            .WithSummary("List builds, newest first")
            .WithDescription("Paged with page (from 1) and pageSize (1 to 100); status filters by build status (queued, running, succeeded, failed, cancelled).")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        builds.MapGet("/{id:guid}", GetAsync).WithName("GetBuild").RequireAuthorization(ApiScopes.BuildsRead)
            .WithSummary("A build with its stages: status, timings, errors, image digests and artifacts")
            .ProducesProblem(StatusCodes.Status404NotFound);

        builds.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelBuild").RequireAuthorization(ApiScopes.BuildsWrite)
            .WithSummary("Cancel a build")
            .WithDescription("Stops the running BuildKit solves; stages that have not started are skipped. 409 when the build has already finished.")
            .Produces<BuildResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        builds.MapPost("/{id:guid}/retry", RetryAsync).WithName("RetryBuild").RequireAuthorization(ApiScopes.BuildsWrite)
            .WithSummary("Retry a failed or cancelled build")
            .WithDescription("Runs the failed, cancelled, skipped and expired stages again as the build's next attempt (same id; 'attempt' counts up); succeeded stages and their artifacts are kept. 409 when the build succeeded or has not finished, or another retry of it won.")
            .Produces<BuildResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        builds.MapPost("/{id:guid}/reproduce", ReproduceAsync).WithName("ReproduceBuild").RequireAuthorization(ApiScopes.BuildsWrite)
            .WithSummary("Check that a succeeded build is reproducible")
            .WithDescription("Rebuilds the build's artifact stages without cache, as a new build (on another builder when the pool has one with room; a git build at its pinned commit with SOURCE_DATE_EPOCH at the commit's time), and once that build ends compares every artifact by SHA-256: the original's 'reproducible' and 'reproduction' (identical and differing files, with both digests) say how it went. Answers 202 with the new build (Location). 409 when the build has not succeeded, is itself a reproduction, exports no artifacts, or a reproduction of it is running.")
            .Produces<BuildResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        // builds:write, not admin: whoever may submit and cancel builds manages their lifetime (a CI key cleaning up its
        // old builds); only a finished build can go, and another build's artifacts are never touched
        builds.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteBuild").RequireAuthorization(ApiScopes.BuildsWrite)
            .WithSummary("Delete a finished build")
            .WithDescription("Deletes the build's records (stages, artifacts, logs, publications), its uploaded context, and the stored artifact files no other build references. 409 while it is queued or running (cancel it first), while it is pinned (unpin it first), or while a publication of it runs.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        // a pin is a flag of the build, set and cleared idempotently: PUT and DELETE on it, like any sub-resource
        builds.MapPut("/{id:guid}/pin", PinAsync).WithName("PinBuild").RequireAuthorization(ApiScopes.BuildsWrite)
            .WithSummary("Pin a build: retention keeps it")
            .WithDescription("A pinned build is never deleted by retention (the Retention settings), and DELETE refuses it until it is unpinned. Any build may be pinned, in any status; pinning twice is the same as once. Answers with the build.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        builds.MapDelete("/{id:guid}/pin", UnpinAsync).WithName("UnpinBuild").RequireAuthorization(ApiScopes.BuildsWrite)
            .WithSummary("Unpin a build: retention deletes it once it is old enough")
            .WithDescription("Clears the pin; unpinning a build that is not pinned changes nothing. Answers with the build.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Accepted<BuildResponse>> SubmitAsync(HttpContext http, RequestReader reader, BuildSubmission submission,
        [FromHeader(Name = Idempotency.Header)] string? idempotencyKey, CancellationToken cancellationToken)
    {
        Idempotency.CheckKey(idempotencyKey); // before the body is read
        await using var submitted = await reader.ReadAsync(http.Request, http.User.ToCaller(), cancellationToken);
        var (build, replayed) = await submission.SubmitAsync(submitted, idempotencyKey, cancellationToken);
        if (replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
        return TypedResults.Accepted(ApiLinks.Build(build.Id), BuildResponse.From(build));
    }

    private static async Task<Ok<BuildPage>> ListAsync(
        BuildDbContext db, string? status, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var number = page ?? 1;
        var size = pageSize ?? 20;
        if (number is < 1 or > 1_000_000) throw new BadRequestException("bad-query", "The query is not valid.", "page must be from 1 to 1000000.", "page");
        if (size is < 1 or > 100) throw new BadRequestException("bad-query", "The query is not valid.", "pageSize must be from 1 to 100.", "pageSize");
        var query = db.Builds.AsNoTracking();
        if (status is not null)
        {
            if (!EnumNames<BuildStatus>.TryParse(status, out var wanted))
                throw new BadRequestException("bad-query", "The query is not valid.",
                    $"status '{status}' is not one of: {EnumNames<BuildStatus>.Allowed}.", "status");
            query = query.Where(b => b.Status == wanted);
        }
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id)
            .Skip((number - 1) * size).Take(size).Include(b => b.Stages).AsSplitQuery().ToListAsync(cancellationToken);
        return TypedResults.Ok(new BuildPage(items.Select(b => BuildResponse.From(b)).ToList(), number, size, total));
    }

    private static async Task<Ok<BuildResponse>> GetAsync(Guid id, BuildDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await DescribeAsync(db, id, cancellationToken));

    /// <summary>A build with its stages and their artifacts, as GET shows it.</summary>
    private static async Task<BuildResponse> DescribeAsync(BuildDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var build = await LoadAsync(db, id, cancellationToken);
        var artifacts = await db.Artifacts.AsNoTracking().Where(a => a.BuildId == id).ToListAsync(cancellationToken);
        return BuildResponse.From(build, artifacts);
    }

    private static async Task<Accepted<BuildResponse>> CancelAsync(Guid id, BuildScheduler scheduler, BuildDbContext db, CancellationToken cancellationToken)
    {
        // once asked, the cancellation is carried through even if the client goes away at once
        await scheduler.CancelAsync(id, CancellationToken.None);
        return TypedResults.Accepted(ApiLinks.Build(id), BuildResponse.From(await LoadAsync(db, id, cancellationToken)));
    }

    private static async Task<Accepted<BuildResponse>> RetryAsync(Guid id, BuildScheduler scheduler, BuildDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        // like a cancel, a retry once asked is carried through even if the client goes away at once
        await scheduler.RetryAsync(id, http.User.ToCaller(), CancellationToken.None);
        return TypedResults.Accepted(ApiLinks.Build(id), await DescribeAsync(db, id, cancellationToken));
    }

    private static async Task<Accepted<BuildResponse>> ReproduceAsync(Guid id, BuildScheduler scheduler, BuildDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var rebuild = await scheduler.ReproduceAsync(id, http.User.ToCaller(), cancellationToken);
        return TypedResults.Accepted(ApiLinks.Build(rebuild.Id), await DescribeAsync(db, rebuild.Id, cancellationToken));
    }

    private static async Task<NoContent> DeleteAsync(Guid id, BuildDeletion deletion, CancellationToken cancellationToken)
    {
        await deletion.DeleteAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static Task<Ok<BuildResponse>> PinAsync(Guid id, BuildLifecycle builds, BuildDbContext db, CancellationToken cancellationToken) =>
        SetPinAsync(id, true, builds, db, cancellationToken);

    private static Task<Ok<BuildResponse>> UnpinAsync(Guid id, BuildLifecycle builds, BuildDbContext db, CancellationToken cancellationToken) =>
        SetPinAsync(id, false, builds, db, cancellationToken);

    private static async Task<Ok<BuildResponse>> SetPinAsync(Guid id, bool pinned, BuildLifecycle builds, BuildDbContext db, CancellationToken cancellationToken)
    {
        await builds.PinAsync(id, pinned, cancellationToken);
        return TypedResults.Ok(await DescribeAsync(db, id, cancellationToken));
    }

    internal static async Task<Build> LoadAsync(BuildDbContext db, Guid id, CancellationToken cancellationToken) =>
        await db.Builds.AsNoTracking().Include(b => b.Stages).FirstOrDefaultAsync(b => b.Id == id, cancellationToken)
        ?? throw BuildLifecycle.NotFound(id);
}
