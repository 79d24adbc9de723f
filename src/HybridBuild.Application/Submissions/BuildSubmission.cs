using HybridBuild.Application.Requests;
using HybridBuild.Application.Telemetry;
using Npgsql;

namespace HybridBuild.Application.Submissions;

/// <summary>
/// Turns a build request into a stored build and queues its first stages; honours Idempotency-Key, and
/// Limits:MaxQueuedBuilds (a repeat of a stored request is answered even when the queue is full).
/// </summary>
internal sealed class BuildSubmission(
    BuildDbContext db,
    IBlobStore blobs,
    BuildScheduler scheduler,
    BuildLifecycle builds,
    SecretService secrets,
    IOptions<QueueLimits> queue,
    IOptions<SpecLimits> specLimits,
    IOptions<OutputOptions> outputs,
    OutboundPolicy network,
    IOptions<PublishingOptions> publishing,
    IOptions<NotificationOptions> notifications,
    BuildReports reports,
    TimeProvider clock)
{
    /// <summary>
    /// Validates and stores a build that is already read (a request's, or one a webhook starts), then queues it.
    /// Returns the build, and whether it was made earlier by a request with the same idempotency key.
    /// </summary>
    public async Task<(Build Build, bool Replayed)> SubmitAsync(SubmittedRequest submitted, string? idempotencyKey, CancellationToken cancellationToken)
    {
        // the build's trace: its stages' runs and jobs are started under this span, wherever they run
        using var span = HybridBuildTelemetry.Source.StartActivity(HybridBuildTelemetry.Spans.Submit);
        Idempotency.CheckKey(idempotencyKey);
        var errors = SpecValidator.Validate(submitted.Spec, submitted.Context is not null, out var stages, specLimits.Value);
        if (errors.Count == 0) errors = CheckTagPolicy(stages);
        if (errors.Count == 0) errors = await secrets.CheckGrantsAsync(stages, submitted.Caller, cancellationToken);
        if (errors.Count == 0 && submitted.Spec.Source?.Git?.Url is { } gitUrl
            && await network.CheckAsync(GitUrl.Host(gitUrl), cancellationToken) is { } refused)
            errors = new Dictionary<string, string[]> { ["source.git.url"] = [refused] };
        if (errors.Count == 0) errors = CheckPublishTargets(submitted.Spec, stages);
        if (errors.Count == 0) errors = await NotifyRules.CheckAsync(submitted.Spec.Notify, "", network, notifications.Value, cancellationToken);
        if (errors.Count > 0) throw new SpecValidationException(errors);

        if (idempotencyKey is not null && await FindReplayAsync(idempotencyKey, submitted.Fingerprint, cancellationToken) is { } earlier)
            return (earlier, true);

        // before an uploaded context becomes the build's blob (a refused request's upload is abandoned); checked again as the build is stored
        await CheckQueueAsync(cancellationToken);
        var build = NewBuild(submitted, idempotencyKey, stages);
        span?.SetTag(HybridBuildTelemetry.Tags.BuildId, build.Id);
        await StoreContextAsync(build, submitted, cancellationToken);
        IReadOnlyList<Notification> reported;
        try
        {
            reported = await StoreAsync(build, cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique
            && (idempotencyKey is not null || unique.ConstraintName == "PK_builds"))
        {
            db.ChangeTracker.Clear();
            if (await db.Builds.AnyAsync(b => b.Id == build.Id, CancellationToken.None))
            {
                // an earlier try of the unit was committed and its answer lost with the connection, so the retry found
                // the build there: it is stored (the reconciler hands its notifications to the transport)
                reported = [];
            }
            else
            {
                // a concurrent request with the same key won the race: answer with its build
                await DeleteContextAsync(build);
                if (idempotencyKey is null) throw;
                return (await FindReplayAsync(idempotencyKey, submitted.Fingerprint, cancellationToken)
                    ?? throw new InvalidOperationException("The build holding the idempotency key vanished."), true);
            }
        }
        catch
        {
            await DeleteContextAsync(build); // no build refers to it
            throw;
        }
        // the build is stored: report it and queue its first stages even if the client has gone away meanwhile
        await reports.DispatchAsync(reported);
        await scheduler.StartAsync(build, CancellationToken.None);
        return (build, false);
    }

    /// <summary>
    /// Stores the build with the notifications of "queued" it owes, in one transaction; under a cap, with the count,
    /// serialised with other submissions. Returns the notifications, to hand to the transport.
    /// </summary>
    private Task<IReadOnlyList<Notification>> StoreAsync(Build build, CancellationToken cancellationToken) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            // a try whose commit went through but whose answer was lost with the connection: the build is stored (and
            // counts against the cap now); the reconciler hands its notifications to the transport
            if (await db.Builds.AnyAsync(b => b.Id == build.Id, cancellationToken)) return (IReadOnlyList<Notification>)[];
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (queue.Value.MaxQueuedBuilds is not null)
            {
                await builds.HoldQueueAsync(cancellationToken);
                await CheckQueueAsync(cancellationToken);
            }
            db.Builds.Add(build);
            await db.SaveChangesAsync(cancellationToken);
            var reported = await reports.RecordAsync(build.Id, BuildStatus.Queued, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return reported;
        });

    /// <exception cref="TooManyRequestsException">As many builds as Limits:MaxQueuedBuilds wait for a worker.</exception>
    private async Task CheckQueueAsync(CancellationToken cancellationToken)
    {
        if (queue.Value.MaxQueuedBuilds is not { } max) return;
        var waiting = await builds.WaitingCountAsync(cancellationToken);
        if (waiting >= max)
            throw new TooManyRequestsException("queue-full", "Too many builds are waiting.",
                $"{waiting} builds are waiting for a worker, and this service takes at most {max} (Limits:MaxQueuedBuilds); submit again later.",
                queue.Value.QueueFullRetryAfter);
    }

    private Build NewBuild(SubmittedRequest submitted, string? idempotencyKey, List<Stage> stages)
    {
        var spec = submitted.Spec;
        var build = new Build
        {
            Id = Guid.CreateVersion7(),
            Status = BuildStatus.Queued,
            CreatedAt = clock.GetUtcNow(),
            Dockerfile = (spec.Dockerfile ?? "Dockerfile").Trim('/'),
            SourceKind = submitted.Context is not null ? SourceKind.Upload
                : spec.Source?.Inline is not null ? SourceKind.Inline : SourceKind.Git,
            GitUrl = spec.Source?.Git?.Url,
            GitRef = spec.Source?.Git?.Ref,
            // a matrix stage's name stands for its combinations, which are what the publication finds
            Publish = [.. (spec.Publish ?? []).Where(p => p is not null).Select(p => p with { Stages = StageNames.ResolveAll(stages, p.Stages) })],
            IdempotencyKey = idempotencyKey,
            RequestFingerprint = submitted.Fingerprint,
            Pinned = spec.Pinned,
            Reproduce = spec.Reproduce,
            Notify = [.. (spec.Notify ?? []).Where(n => n is not null)],
            TriggerId = submitted.Caller.TriggerId,
        };
        foreach (var stage in stages)
        {
            stage.Id = Guid.CreateVersion7();
            stage.BuildId = build.Id;
            stage.Status = StageStatus.Queued;
            build.Stages.Add(stage);
        }
        return build;
    }

    private Dictionary<string, string[]> CheckPublishTargets(BuildSpec spec, List<Stage> stages)
    {
        var errors = new Dictionary<string, string[]>();
        var publish = spec.Publish ?? [];
        for (var i = 0; i < publish.Count; i++)
        {
            if (publish[i]?.Target is not { } target || !publishing.Value.Targets.ContainsKey(target))
                errors[$"publish[{i}].target"] = [$"must name a configured target: {string.Join(", ", publishing.Value.Targets.Keys.Order())}"];
            else if (publish[i].Stages?.FirstOrDefault(s => StageNames.Resolve(stages, s).Count == 0) is { } unknown)
                errors[$"publish[{i}].stages"] = [$"'{unknown}' is not a stage of this build"];
            else if (publish[i].Path is { } path && PathTemplate.Unknown(path) is { } placeholder)
                errors[$"publish[{i}].path"] = [$"{{{placeholder}}} is not a known placeholder"];
        }
        return errors;
    }

    private async Task StoreContextAsync(Build build, SubmittedRequest submitted, CancellationToken cancellationToken)
    {
        if (submitted.Context is not null)
        {
            build.ContextKey = BlobKeys.Context(build.Id, submitted.ContextIsGzip);
            build.ContextSize = submitted.ContextSize;
            // streamed into the store as the request arrived; it becomes the build's blob now
            await submitted.Context.CommitAsync(build.ContextKey, cancellationToken);
        }
        else if (submitted.Spec.Source?.Inline is { } inline)
        {
            using var packed = new MemoryStream(); // inline sources are bounded by the spec size limit
            await InlineContext.WriteAsync(inline, packed, cancellationToken);
            packed.Position = 0;
            build.ContextKey = BlobKeys.Context(build.Id, gzip: true);
            build.ContextSize = packed.Length;
            await blobs.PutAsync(build.ContextKey, packed, cancellationToken);
        }
    }

    /// <summary>
    /// Image tags land in the engine's image store (and registries): where Outputs:AllowedTagPrefixes is set,
    /// a tag (and a registry cache reference) must start with one of them, so a build cannot replace an image the host
    /// itself runs, nor read or write another team's cache with the engine's credentials.
    /// </summary>
    private Dictionary<string, string[]> CheckTagPolicy(List<Stage> stages)
    {
        var allowed = outputs.Value.AllowedTagPrefixes;
        var errors = new Dictionary<string, string[]>();
        if (allowed.Count == 0) return errors;
        void Check(string field, string? reference)
        {
            if (reference is not null && !allowed.Any(prefix => reference.StartsWith(prefix, StringComparison.Ordinal)))
                errors[field] = [$"'{reference}' is not under an allowed prefix ({string.Join(", ", allowed)})"];
        }
        foreach (var stage in stages)
        {
            for (var t = 0; t < stage.Output.Tags.Count; t++) Check($"stages[{stage.Ordinal}].output.tags[{t}]", stage.Output.Tags[t]);
            // a registry cache is read and written with the engine's registry credentials: the same prefixes bound it
            for (var c = 0; c < stage.Cache.From.Count; c++) Check($"stages[{stage.Ordinal}].cache.from[{c}]", stage.Cache.From[c].Reference);
            for (var c = 0; c < stage.Cache.To.Count; c++) Check($"stages[{stage.Ordinal}].cache.to[{c}]", stage.Cache.To[c].Reference);
        }
        return errors;
    }

    private async Task DeleteContextAsync(Build build)
    {
        if (build.ContextKey is not null) await blobs.DeleteAsync(build.ContextKey, CancellationToken.None);
    }

    private async Task<Build?> FindReplayAsync(string idempotencyKey, string fingerprint, CancellationToken cancellationToken) =>
        Idempotency.Replay(await db.Builds.AsNoTracking().Include(b => b.Stages).FirstOrDefaultAsync(b => b.IdempotencyKey == idempotencyKey, cancellationToken),
            b => b.RequestFingerprint, fingerprint, idempotencyKey, b => $"build {b.Id}");
}
