using System.Text.RegularExpressions;

namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Watches a solve's steps on their way to the log and works out what the cache did for it (<see cref="CacheUse"/>):
/// the Dockerfile steps that build something (BuildKit names them <c>[stage n/m] INSTRUCTION</c>; its own loading and
/// exporting are not counted, nor <c>FROM</c>, an image that is pulled or already there, never built, and that BuildKit
/// does not even report as cached when nothing after it runs), which of them the cache answered, and the time those saved, from how long each took the last time it
/// ran uncached (<see cref="StepTiming"/>, by vertex digest, which names the same work on every builder).
/// </summary>
internal sealed partial class CacheUseMeter(IBuildProgress inner) : IBuildProgress
{
    private readonly Dictionary<string, StepEvent> _steps = new(StringComparer.Ordinal);

    public void Step(StepEvent step)
    {
        if (DockerfileStep().IsMatch(step.Name) && !BaseImage().IsMatch(step.Name))
            lock (_steps)
                // a step is reported several times (started, cached, completed): what any report said holds
                _steps[step.Id] = _steps.TryGetValue(step.Id, out var seen)
                    ? seen with
                    {
                        Cached = seen.Cached || step.Cached, Started = seen.Started ?? step.Started,
                        Completed = step.Completed ?? seen.Completed, Error = step.Error ?? seen.Error,
                    }
                    : step;
        inner.Step(step);
    }

    public void Log(LogLine line) => inner.Log(line);

    /// <summary>
    /// Records how long the steps that ran took, and returns what the cache did; null when the solve reported no
    /// Dockerfile step (it failed before any, or its engine says nothing of steps).
    /// </summary>
    public async Task<CacheUse?> ConcludeAsync(BuildDbContext db, TimeSpan solveTime, TimeProvider clock, CancellationToken cancellationToken)
    {
        List<StepEvent> steps;
        lock (_steps) steps = [.. _steps.Values.Where(s => (s.Completed is not null || s.Cached) && s.Error is null)];
        if (steps.Count == 0) return null;

        var ran = steps.Where(s => !s.Cached && s.Started is not null && s.Completed is not null).ToList();
        var now = clock.GetUtcNow();
        foreach (var step in ran)
        {
            var milliseconds = (long)(step.Completed!.Value - step.Started!.Value).TotalMilliseconds;
            // one statement per step: concurrent solves of the same step each leave a recent timing, none fails
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO hybridbuild.step_timings ("Digest", "Milliseconds", "RecordedAt") VALUES ({step.Id}, {milliseconds}, {now})
                ON CONFLICT ("Digest") DO UPDATE SET "Milliseconds" = excluded."Milliseconds", "RecordedAt" = excluded."RecordedAt"
                """, cancellationToken);
        }

        var cached = steps.Where(s => s.Cached).Select(s => s.Id).ToList();
        var known = cached.Count == 0 ? []
            : await db.StepTimings.AsNoTracking().Where(t => cached.Contains(t.Digest)).Select(t => t.Milliseconds).ToListAsync(cancellationToken);
        var saved = known.Sum();
        double? share = known.Count == 0 ? null : Math.Round(saved / (saved + Math.Max(solveTime.TotalMilliseconds, 1)), 3);
        return new CacheUse(steps.Count, cached.Count, saved, known.Count, share);
    }

    // "[2/3] RUN …", "[build 2/3] RUN …", "[linux/arm64 build 2/3] RUN …"
    [GeneratedRegex(@"^\[[^\]]*\b\d+/\d+\] ")]
    private static partial Regex DockerfileStep();

    [GeneratedRegex(@"^\[[^\]]*\b\d+/\d+\] FROM ", RegexOptions.IgnoreCase)]
    private static partial Regex BaseImage();
}
