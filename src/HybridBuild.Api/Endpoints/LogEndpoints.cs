namespace HybridBuild.Api.Endpoints;

internal static class LogEndpoints
{
    private const int PageSize = 1000;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapLogs(this RouteGroupBuilder api)
    {
        api.MapGet("/builds/{id:guid}/logs", GetLogsAsync).WithName("GetBuildLogs").WithTags("Logs").RequireAuthorization(ApiScopes.BuildsRead)
            .WithSummary("A build's log, whole or followed")
            .WithDescription("Plain text by default (stage= limits it to one stage, or to every combination of a matrix stage; follow=true streams until the build ends). With Accept: text/event-stream, Server-Sent Events carrying step, log and stage events, resumable with Last-Event-ID; the stream ends with an 'end' event once the build has finished.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain", "text/event-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task GetLogsAsync(Guid id, string? stage, bool? follow, HttpContext http, BuildDbContext db, CancellationToken cancellationToken)
    {
        var build = await BuildEndpoints.LoadAsync(db, id, cancellationToken);
        // a matrix stage's name stands for its combinations, as in needs, inputs and publish
        var stages = stage is null ? null : StageNames.Resolve(build.Stages, stage);
        if (stages is { Count: 0 }) throw new NotFoundException($"Build {id} has no stage '{stage}'.");

        var sse = http.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true);
        if (sse)
        {
            var lastEventId = long.TryParse(http.Request.Headers["Last-Event-ID"].FirstOrDefault(), out var last) ? last : 0;
            await StreamEventsAsync(http.Response, db, id, stages, lastEventId, cancellationToken);
        }
        else
        {
            await WriteTextAsync(http.Response, db, id, stages, follow ?? false, cancellationToken);
        }
    }

    private static async Task WriteTextAsync(HttpResponse response, BuildDbContext db, Guid id, List<string>? stages, bool follow, CancellationToken ct)
    {
        response.ContentType = "text/plain; charset=utf-8";
        var renderer = new LogRenderer(prefixStage: stages is not [_]);
        await foreach (var batch in ReadAsync(db, id, stages, 0, follow, ct))
        {
            var text = new StringBuilder();
            foreach (var e in batch)
                foreach (var line in renderer.Render(e)) text.Append(line).Append('\n');
            await response.WriteAsync(text.ToString(), ct);
            await response.Body.FlushAsync(ct);
        }
    }

    private static async Task StreamEventsAsync(HttpResponse response, BuildDbContext db, Guid id, List<string>? stages, long after, CancellationToken ct)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.WriteAsync("retry: 2000\n\n", ct);
        await response.Body.FlushAsync(ct);
        var lastWrite = DateTime.UtcNow;
        await foreach (var batch in ReadAsync(db, id, stages, after, follow: true, ct))
        {
            var text = new StringBuilder();
            foreach (var e in batch) text.Append(Format(e));
            if (batch.Count == 0 && DateTime.UtcNow - lastWrite > KeepAlive) text.Append(": keep-alive\n\n");
            if (text.Length == 0) continue;
            await response.WriteAsync(text.ToString(), ct);
            await response.Body.FlushAsync(ct);
            lastWrite = DateTime.UtcNow;
        }
        var status = await db.Builds.Where(b => b.Id == id).Select(b => b.Status).FirstAsync(ct);
        await response.WriteAsync($"event: end\ndata: {JsonSerializer.Serialize(new SseEnd(status), ApiJson.Options)}\n\n", ct);
    }

    private static string Format(LogEvent e)
    {
        object payload = e.Kind switch
        {
            LogEventKind.Step => Step(e),
            LogEventKind.Stage => JsonSerializer.Deserialize<StageEventData>(e.Data, ApiJson.Options) is { } s
                ? new SseStage(e.Stage, s.Status, s.Error, e.Time) : throw new InvalidOperationException("empty stage event"),
            _ => new SseLog(e.Stage, e.Step, e.Stream, e.Data, e.Time),
        };
        var name = e.Kind.ToString().ToLowerInvariant();
        return $"id: {e.Id}\nevent: {name}\ndata: {JsonSerializer.Serialize(payload, ApiJson.Options)}\n\n";
    }

    private static SseStep Step(LogEvent e)
    {
        var s = JsonSerializer.Deserialize<StepEventData>(e.Data, ApiJson.Options)!;
        return new SseStep(e.Stage, s.Number, s.Name, s.Cached, s.Started, s.Completed, s.Error);
    }

    /// <summary>
    /// Batches of events after <paramref name="after"/> (of <paramref name="stages"/> only, unless null); when following,
    /// polls until the build has finished and everything is read.
    /// </summary>
    private static async IAsyncEnumerable<List<LogEvent>> ReadAsync(
        BuildDbContext db, Guid id, List<string>? stages, long after, bool follow,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            // read the status before the events: events written before the build finished are then surely seen
            var finished = (await db.Builds.Where(b => b.Id == id).Select(b => b.Status).FirstAsync(ct)).IsTerminal();
            List<LogEvent> batch;
            do
            {
                var query = db.LogEvents.AsNoTracking().Where(e => e.BuildId == id && e.Id > after);
                if (stages is not null) query = query.Where(e => stages.Contains(e.Stage));
                batch = await query.OrderBy(e => e.Id).Take(PageSize).ToListAsync(ct);
                if (batch.Count > 0) after = batch[^1].Id;
                if (batch.Count > 0 || follow) yield return batch;
            } while (batch.Count == PageSize);
            if (!follow || finished) yield break;
            await Task.Delay(PollInterval, ct);
        }
    }
}
