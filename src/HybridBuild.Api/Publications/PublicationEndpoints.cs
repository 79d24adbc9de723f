using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hangfire;
using HybridBuild.Api.Contracts;
using HybridBuild.Core.Domain;
using HybridBuild.Core.Errors;
using HybridBuild.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Publications;

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
        api.MapGet("/publications/{id:guid}", GetAsync).WithName("GetPublication").WithTags("Publications")
            .RequireAuthorization(ApiScopes.BuildsRead)
            .WithSummary("A publication with each file's destination, outcome and download URI")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public sealed record PublishRequest
    {
        public string? Target { get; init; }
        public List<string>? Stages { get; init; }
        public string? Path { get; init; }
        public Dictionary<string, string>? Properties { get; init; }
        public bool DryRun { get; init; }
    }

    private static async Task<IResult> CreateAsync(Guid id, PublishRequest? request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        BuildDbContext db, IOptions<PublishingOptions> options, IBackgroundJobClient jobs, TimeProvider clock, CancellationToken cancellationToken)
    {
        request ??= new PublishRequest();
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { id, request })));
        if (idempotencyKey is not null)
        {
            if (idempotencyKey.Length is 0 or > 255)
                throw new BadRequestException("bad-idempotency-key", "The Idempotency-Key header is not valid.", "Idempotency-Key must be 1 to 255 characters.");
            var earlier = await db.Publications.AsNoTracking().FirstOrDefaultAsync(p => p.IdempotencyKey == idempotencyKey, cancellationToken);
            if (earlier is not null)
                return earlier.RequestFingerprint == fingerprint
                    ? TypedResults.Accepted($"/api/v1/publications/{earlier.Id}", PublicationResponse.From(earlier))
                    : throw new UnprocessableException("idempotency-key-reused", "The idempotency key was used for another request.",
                        "This Idempotency-Key was used for a different publication request.");
        }

        var target = request.Target;
        if (string.IsNullOrEmpty(target) || !options.Value.Targets.ContainsKey(target))
            throw new BadRequestException("validation", "The publication request is not valid.",
                $"target must name a configured target: {string.Join(", ", options.Value.Targets.Keys.Order())}.", "target");
        var template = request.Path ?? "{buildId}/{stage}/{path}";
        if (PathTemplate.Unknown(template) is { } unknown)
            throw new BadRequestException("validation", "The publication request is not valid.",
                $"path uses {{{unknown}}}; known placeholders are {string.Join(", ", PathTemplate.Placeholders.Select(p => $"{{{p}}}"))}.", "path");
        var properties = request.Properties ?? [];
        foreach (var (key, value) in properties)
            if (string.IsNullOrWhiteSpace(key) || PathTemplate.Unknown(value) is not null)
                throw new BadRequestException("validation", "The publication request is not valid.",
                    $"property '{key}' needs a name and a value whose placeholders are known.", "properties");

        var build = await db.Builds.AsNoTracking().Include(b => b.Stages).FirstOrDefaultAsync(b => b.Id == id, cancellationToken)
            ?? throw new NotFoundException($"There is no build {id}.");
        if (build.Status != BuildStatus.Succeeded)
            throw new ConflictException("build-not-succeeded", "Only a succeeded build can be published.", $"Build {id} is {build.Status.ToString().ToLowerInvariant()}.");
        var stages = request.Stages ?? [];
        if (stages.FirstOrDefault(s => build.Stages.All(b => b.Name != s)) is { } missing)
            throw new BadRequestException("validation", "The publication request is not valid.", $"'{missing}' is not a stage of build {id}.", "stages");
        List<PublishedArtifact> files;
        if (options.Value.Targets[target].IsOci)
        {
            // images: each pushed image stage is copied by digest to the target registry
            template = request.Path ?? "{stage}:{buildId}";
            files = build.Stages.Where(s => (stages.Count == 0 || stages.Contains(s.Name)) && s.Output is { Type: OutputType.Image, Push: true } && s.ImageDigest is not null && s.Output.Tags.Count > 0)
                .OrderBy(s => s.Ordinal).Select(s => PlanImage(s, build, template)).ToList();
            if (files.Count == 0)
                throw new BadRequestException("validation", "The publication request is not valid.", "the chosen stages pushed no images.", "stages");
        }
        else
        {
            var artifacts = await db.Artifacts.AsNoTracking().Where(a => a.BuildId == id).OrderBy(a => a.StageName).ThenBy(a => a.Path).ToListAsync(cancellationToken);
            files = artifacts.Where(a => stages.Count == 0 || stages.Contains(a.StageName)).Select(a => Plan(a, build, template, properties)).ToList();
            if (files.Count == 0)
                throw new BadRequestException("validation", "The publication request is not valid.", "the chosen stages exported no artifacts.", "stages");
        }
        if (files.FirstOrDefault(f => !PathTemplate.IsSafe(f.Destination)) is { } unsafePath)
            throw new BadRequestException("validation", "The publication request is not valid.",
                $"path renders to '{unsafePath.Destination}' for {unsafePath.Stage}/{unsafePath.Path}, which is not a clean relative path.", "path");

        var publication = new Publication
        {
            Id = Guid.CreateVersion7(), BuildId = id, Target = target, Stages = stages, PathTemplate = template, Properties = properties,
            DryRun = request.DryRun, Status = request.DryRun ? PublicationStatus.Succeeded : PublicationStatus.Queued,
            IdempotencyKey = idempotencyKey, RequestFingerprint = fingerprint, CreatedAt = clock.GetUtcNow(),
            Files = request.DryRun ? [.. files.Select(f => f with { Status = "planned" })] : files,
        };
        if (request.DryRun) publication.FinishedAt = publication.CreatedAt;
        db.Publications.Add(publication);
        await db.SaveChangesAsync(cancellationToken);
        if (request.DryRun) return TypedResults.Ok(PublicationResponse.From(publication));
        jobs.Enqueue<PublicationJob>(PublicationJob.Queue, j => j.RunAsync(publication.Id, CancellationToken.None));
        return TypedResults.Accepted($"/api/v1/publications/{publication.Id}", PublicationResponse.From(publication));
    }

    private static PublishedArtifact Plan(Artifact artifact, Build build, string template, Dictionary<string, string> properties)
    {
        var values = new Dictionary<string, string?>
        {
            ["buildId"] = build.Id.ToString(), ["stage"] = artifact.StageName, ["platform"] = artifact.Platform?.Replace('/', '_'),
            ["path"] = artifact.Path, ["file"] = System.IO.Path.GetFileName(artifact.Path), ["commit"] = build.GitCommit, ["ref"] = build.GitRef,
        };
        return new PublishedArtifact
        {
            Stage = artifact.StageName, Path = artifact.Path, Platform = artifact.Platform, Size = artifact.Size, Sha256 = artifact.Sha256,
            Destination = PathTemplate.Render(template, values).Replace("//", "/").TrimStart('/'),
            Properties = properties.ToDictionary(p => p.Key, p => PathTemplate.Render(p.Value, values)),
            Status = "pending",
        };
    }

    private static PublishedArtifact PlanImage(Stage stage, Build build, string template)
    {
        var values = new Dictionary<string, string?>
        {
            ["buildId"] = build.Id.ToString(), ["stage"] = stage.Name, ["platform"] = null, ["path"] = stage.Name, ["file"] = stage.Name,
            ["commit"] = build.GitCommit, ["ref"] = build.GitRef,
        };
        var destination = PathTemplate.Render(template, values).Trim('/');
        return new PublishedArtifact
        {
            Stage = stage.Name, Path = stage.Output.Tags[0], Sha256 = stage.ImageDigest!, Status = "pending",
            Destination = destination.Contains(':') ? destination : destination + ":latest",
        };
    }

    private static async Task<Ok<PublicationResponse>> GetAsync(Guid id, BuildDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(PublicationResponse.From(await db.Publications.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken)
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
