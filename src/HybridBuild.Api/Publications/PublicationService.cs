using System.Security.Cryptography;
using System.Text.Json;
using Hangfire;
using HybridBuild.Core.Domain;
using HybridBuild.Core.Errors;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Publications;

/// <summary>Plans a publication of a succeeded build (checked, destinations rendered), stores it and queues its job.</summary>
internal sealed class PublicationService(BuildDbContext db, IOptions<PublishingOptions> options, IBackgroundJobClient jobs, TimeProvider clock)
{
    public async Task<(Publication Publication, bool Replayed)> CreateAsync(Guid id, PublicationEndpoints.PublishRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(new { id, request })));
        if (idempotencyKey is not null)
        {
            if (idempotencyKey.Length is 0 or > 255)
                throw new BadRequestException("bad-idempotency-key", "The Idempotency-Key header is not valid.", "Idempotency-Key must be 1 to 255 characters.");
            var earlier = await db.Publications.AsNoTracking().FirstOrDefaultAsync(p => p.IdempotencyKey == idempotencyKey, cancellationToken);
            if (earlier is not null)
                return earlier.RequestFingerprint == fingerprint
                    ? (earlier, true)
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
                .OrderBy(s => s.Ordinal).Select(s => PublicationEndpoints.PlanImage(s, build, template)).ToList();
            if (files.Count == 0)
                throw new BadRequestException("validation", "The publication request is not valid.", "the chosen stages pushed no images.", "stages");
        }
        else
        {
            var artifacts = await db.Artifacts.AsNoTracking().Where(a => a.BuildId == id).OrderBy(a => a.StageName).ThenBy(a => a.Path).ToListAsync(cancellationToken);
            files = artifacts.Where(a => stages.Count == 0 || stages.Contains(a.StageName)).Select(a => PublicationEndpoints.Plan(a, build, template, properties)).ToList();
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
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (idempotencyKey is not null)
        {
            // the same key arrived twice at once: the other request stored its publication, which is this one's answer
            db.ChangeTracker.Clear();
            var other = await db.Publications.AsNoTracking().SingleAsync(p => p.IdempotencyKey == idempotencyKey, cancellationToken);
            return other.RequestFingerprint == fingerprint
                ? (other, true)
                : throw new UnprocessableException("idempotency-key-reused", "The idempotency key was used for another request.",
                    "This Idempotency-Key was used for a different publication request.");
        }
        if (!request.DryRun) jobs.Enqueue<PublicationJob>(PublicationJob.Queue, j => j.RunAsync(publication.Id, CancellationToken.None));
        return (publication, false);
    }
}
