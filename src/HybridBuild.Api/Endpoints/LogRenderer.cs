namespace HybridBuild.Api.Endpoints;

/// <summary>Renders log events as text in the style of BuildKit's plain progress (<c>#3 [build 2/4] RUN ...</c>).</summary>
internal sealed class LogRenderer(bool prefixStage)
{
    private readonly HashSet<(string Stage, int Step)> _named = [];

    public IEnumerable<string> Render(LogEvent e)
    {
        var prefix = prefixStage ? $"[{e.Stage}] " : "";
        switch (e.Kind)
        {
            case LogEventKind.Log:
                yield return e.Step is { } n ? $"{prefix}#{n} {e.Data}" : $"{prefix}{e.Data}";
                break;
            case LogEventKind.Step:
                var step = JsonSerializer.Deserialize<StepEventData>(e.Data, ApiJson.Options)!;
                if (_named.Add((e.Stage, step.Number))) yield return $"{prefix}#{step.Number} {step.Name}";
                if (step.Error is not null) yield return $"{prefix}#{step.Number} ERROR: {step.Error}";
                else if (step.Cached) yield return $"{prefix}#{step.Number} CACHED";
                else if (step is { Completed: { } done, Started: { } started })
                    yield return $"{prefix}#{step.Number} DONE {(done - started).TotalSeconds:0.0}s";
                break;
            case LogEventKind.Stage:
                var stage = JsonSerializer.Deserialize<StageEventData>(e.Data, ApiJson.Options)!;
                var status = stage.Status.ToString().ToLowerInvariant();
                yield return stage.Error is null ? $"==> stage {e.Stage}: {status}" : $"==> stage {e.Stage}: {status}: {stage.Error}";
                break;
        }
    }
}
