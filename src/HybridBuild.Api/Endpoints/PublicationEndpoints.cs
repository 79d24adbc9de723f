using HybridBuild.Application.Publications;
using HybridBuild.Application.Requests;

namespace HybridBuild.Api.Endpoints;

/// <summary>Publishing a finished build's artifacts to a named target, and the resulting publication resource.</summary>
internal static class PublicationEndpoints
{
    public static RouteGroupBuilder MapPublications(this RouteGroupBuilder api)
    {
        api.MapPost("/builds/{id:guid}/publications", CreateAsync).WithName("PublishBuild").WithTags("Publications")
            .RequireAuthorization(ApiScopes.Publish)
            .WithSummary("Publish a succeeded build's artifacts to a configured target")
            .WithDescription("target names a server-side target (Publishing:Targets); stages (default: all); path is the destination template and properties the key/value pairs set on each file, both with {buildId}, {stage}, {platform}, {path}, {file}, {commit}, {ref}. dryRun answers with the plan and publishes nothing. Answers 202 with the publication; Idempotency-Key returns the same one for a retried request.")
            .Produces<PublicationResponse>(StatusCodes.Status202Accepted).Produces<PublicationResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/builds/{id:guid}/publications", ListAsync).WithName("ListBuildPublications").WithTags("Publications")
            .RequireAuthorization(ApiScopes.BuildsRead)
            .WithSummary("A build's publications, newest first, each with its files' outcomes")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/publications/{id:guid}", GetAsync).WithName("GetPublication").WithTags("Publications")
            .RequireAuthorization(ApiScopes.BuildsRead)
            .WithSummary("A publication with each file's destination, outcome and download URI")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> CreateAsync(Guid id, PublishRequest? request, [FromHeader(Name = Idempotency.Header)] string? idempotencyKey,
        PublicationService publications, CancellationToken cancellationToken)
    {
        var (publication, _) = await publications.CreateAsync(id, request ?? new PublishRequest(), idempotencyKey, cancellationToken);
        return publication.DryRun
            ? TypedResults.Ok(PublicationResponse.From(publication))
            : TypedResults.Accepted(ApiLinks.Publication(publication.Id), PublicationResponse.From(publication));
    }

    private static async Task<Ok<List<PublicationResponse>>> ListAsync(Guid id, PublicationService publications, CancellationToken cancellationToken) =>
        TypedResults.Ok((await publications.OfBuildAsync(id, cancellationToken)).Select(PublicationResponse.From).ToList());

    private static async Task<Ok<PublicationResponse>> GetAsync(Guid id, PublicationService publications, CancellationToken cancellationToken) =>
        TypedResults.Ok(PublicationResponse.From(await publications.FindAsync(id, cancellationToken)
            ?? throw new NotFoundException($"There is no publication {id}.")));
}

/// <summary>A publication: what was asked, and each file's outcome. Never a credential.</summary>
public sealed record PublicationResponse(Guid Id, Guid BuildId, string Target, IReadOnlyList<string> Stages, string Path,
    IReadOnlyDictionary<string, string> Properties, bool DryRun, PublicationStatus Status, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, IReadOnlyList<PublishedArtifact> Files)
{
    public static PublicationResponse From(Publication p) => new(p.Id, p.BuildId, p.Target, p.Stages, p.PathTemplate, p.Properties,
        p.DryRun, p.Status, p.CreatedAt, p.StartedAt, p.FinishedAt, p.Error, p.Files);
}
