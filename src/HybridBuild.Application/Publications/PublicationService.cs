using HybridBuild.Application.Requests;
using Npgsql;

namespace HybridBuild.Application.Publications;

/// <summary>Plans a publication of a succeeded build (checked, destinations rendered), stores it and queues its job.</summary>
internal sealed class PublicationService(BuildDbContext db, IOptions<PublishingOptions> options, PublicationLifecycle publications, TimeProvider clock)
{
    /// <summary>The key of a spec's automatic publication, so a repeated settle returns the same one.</summary>
    public static string AutomaticKey(Guid buildId, int index) => $"auto:{buildId}:{index}";

    public Task<Publication?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        db.Publications.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken);

    /// <summary>A build's publications, newest first.</summary>
    public async Task<List<Publication>> OfBuildAsync(Guid buildId, CancellationToken cancellationToken)
    {
        if (!await db.Builds.AnyAsync(b => b.Id == buildId, cancellationToken)) throw new NotFoundException($"There is no build {buildId}.");
        return await db.Publications.AsNoTracking().Where(p => p.BuildId == buildId)
            .OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).ToListAsync(cancellationToken);
    }

    public async Task<(Publication Publication, bool Replayed)> CreateAsync(Guid buildId, PublishRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        Idempotency.CheckKey(idempotencyKey);
        var fingerprint = Idempotency.Fingerprint(new { buildId, request });
        if (idempotencyKey is not null && await ReplayAsync(idempotencyKey, fingerprint, cancellationToken) is { } earlier) return (earlier, true);

        var target = request.Target;
        if (string.IsNullOrEmpty(target) || !options.Value.Targets.ContainsKey(target))
            throw Invalid($"target must name a configured target: {string.Join(", ", options.Value.Targets.Keys.Order())}.", "target");
        var isOci = options.Value.Targets[target].IsOci;
        var template = request.Path ?? (isOci ? PublicationPlanner.DefaultImageTemplate : PublicationPlanner.DefaultFileTemplate);
        if (PathTemplate.Unknown(template) is { } unknown)
            throw Invalid($"path uses {{{unknown}}}; known placeholders are {string.Join(", ", PathTemplate.Placeholders.Select(p => $"{{{p}}}"))}.", "path");
        var properties = request.Properties ?? [];
        foreach (var (key, value) in properties)
            if (string.IsNullOrWhiteSpace(key) || value is null || PathTemplate.Unknown(value) is not null)
                throw Invalid($"property '{key}' needs a name and a value whose placeholders are known.", "properties");

        var build = await db.Builds.AsNoTracking().Include(b => b.Stages).FirstOrDefaultAsync(b => b.Id == buildId, cancellationToken)
            ?? throw new NotFoundException($"There is no build {buildId}.");
        if (build.Status != BuildStatus.Succeeded)
            throw new ConflictException("build-not-succeeded", "Only a succeeded build can be published.", $"Build {buildId} is {build.Status.ToString().ToLowerInvariant()}.");
        if (request.Stages?.FirstOrDefault(s => StageNames.Resolve(build.Stages, s).Count == 0) is { } missing)
            throw Invalid($"'{missing}' is not a stage of build {buildId}.", "stages");
        var stages = StageNames.ResolveAll(build.Stages, request.Stages) ?? []; // a matrix stage's name: its combinations
        var files = isOci ? PlanImages(build, stages, template) : await PlanFilesAsync(build, stages, template, properties, cancellationToken);
        if (files.FirstOrDefault(f => !PathTemplate.IsSafe(f.Destination)) is { } unsafePath)
            throw Invalid($"path renders to '{unsafePath.Destination}' for {unsafePath.Stage}/{unsafePath.Path}, which is not a clean relative path.", "path");

        var publication = new Publication
        {
            Id = Guid.CreateVersion7(), BuildId = buildId, Target = target, Stages = stages, PathTemplate = template, Properties = properties,
            DryRun = request.DryRun, Status = request.DryRun ? PublicationStatus.Succeeded : PublicationStatus.Queued,
            IdempotencyKey = idempotencyKey, RequestFingerprint = fingerprint, CreatedAt = clock.GetUtcNow(),
            Files = request.DryRun ? [.. files.Select(f => f with { Status = PublishedFileStatus.Planned })] : files,
        };
        if (request.DryRun) publication.FinishedAt = publication.CreatedAt;
        db.Publications.Add(publication);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation })
        {
            // the build was deleted between reading it and storing this
            db.ChangeTracker.Clear();
            throw new NotFoundException($"There is no build {buildId}.");
        }
        catch (DbUpdateException e) when (idempotencyKey is not null && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // the same key arrived twice at once: the other request stored its publication, which is this one's answer
            db.ChangeTracker.Clear();
            return (await ReplayAsync(idempotencyKey, fingerprint, cancellationToken) ?? throw new InvalidOperationException("The publication holding the key vanished."), true);
        }
        if (!request.DryRun) await publications.DispatchAsync(publication.Id, cancellationToken);
        return (publication, false);
    }

    private List<PublishedArtifact> PlanImages(Build build, List<string> stages, string template)
    {
        // images: each pushed image stage is copied by digest to the target registry
        var files = build.Stages.Where(s => (stages.Count == 0 || stages.Contains(s.Name)) && PublicationPlanner.IsPublishableImage(s))
            .OrderBy(s => s.Ordinal).Select(s => PublicationPlanner.PlanImage(s, build, template)).ToList();
        return files.Count > 0 ? files : throw Invalid("the chosen stages pushed no images.", "stages");
    }

    private async Task<List<PublishedArtifact>> PlanFilesAsync(Build build, List<string> stages, string template, Dictionary<string, string> properties,
        CancellationToken cancellationToken)
    {
        var artifacts = await db.Artifacts.AsNoTracking().Where(a => a.BuildId == build.Id).OrderBy(a => a.StageName).ThenBy(a => a.Path).ToListAsync(cancellationToken);
        var files = artifacts.Where(a => stages.Count == 0 || stages.Contains(a.StageName))
            .Select(a => PublicationPlanner.PlanFile(a, build, template, properties)).ToList();
        return files.Count > 0 ? files : throw Invalid("the chosen stages exported no artifacts.", "stages");
    }

    private async Task<Publication?> ReplayAsync(string key, string fingerprint, CancellationToken cancellationToken) =>
        Idempotency.Replay(await db.Publications.AsNoTracking().FirstOrDefaultAsync(p => p.IdempotencyKey == key, cancellationToken),
            p => p.RequestFingerprint, fingerprint, key, p => $"publication {p.Id}");

    private static BadRequestException Invalid(string detail, string field) => new("validation", "The publication request is not valid.", detail, field);
}
