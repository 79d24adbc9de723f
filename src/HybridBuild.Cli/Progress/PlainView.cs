using System.Globalization;

namespace HybridBuild.Cli.Progress;

/// <summary>
/// buildx's <c>--progress=plain</c>: <c>#N name</c> when a step starts, <c>#N 0.123 line</c> for its output (seconds
/// since it started), <c>#N DONE 0.3s</c>, <c>#N CACHED</c> or <c>#N ERROR: …</c> when it ends. With several stages
/// each line names the stage (<c>#N [stage] …</c>), and a stage's end is a line of its own.
/// </summary>
internal sealed class PlainView(TextWriter output, bool prefixStages) : IProgressView
{
    private readonly Lock _gate = new();

    public void Apply(IEnumerable<SolveChange> changes)
    {
        lock (_gate)
            foreach (var change in changes)
                foreach (var line in Render(change, prefixStages))
                    output.WriteLine(line);
    }

    public void Note(string line)
    {
        lock (_gate) output.WriteLine(line);
    }

    public static IEnumerable<string> Render(SolveChange change, bool prefixStages)
    {
        switch (change)
        {
            case SolveChange.StepSeen(var step):
                yield return $"#{step.Number} {Prefix(step.Stage, prefixStages)}{step.Name}";
                break;
            case SolveChange.StepLog(var step, var stage, var text, var time) when step is not null:
                var offset = step.Started is { } started ? Math.Max(0, (time - started).TotalSeconds) : 0;
                yield return $"#{step.Number} {offset.ToString("0.000", CultureInfo.InvariantCulture)} {text}";
                break;
            case SolveChange.StepLog(_, var stage, var text, _):
                yield return $"{Prefix(stage, true)}{text}";
                break;
            case SolveChange.StepFinished(var step):
                yield return step switch
                {
                    { Error: { } error } => $"#{step.Number} ERROR: {error}",
                    { Cached: true } => $"#{step.Number} CACHED",
                    _ => $"#{step.Number} DONE {Seconds(step)}",
                };
                yield return "";
                break;
            case SolveChange.StageChanged(var stage, var status, var error) when status != StageStatus.Queued && status != StageStatus.Running || prefixStages:
                var name = status.ToString().ToLowerInvariant();
                yield return error is null ? $"==> stage {stage}: {name}" : $"==> stage {stage}: {name}: {error}";
                break;
        }
    }

    public static string Seconds(StepState step) =>
        step is { Started: { } s, Completed: { } c } ? (c - s).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s" : "0.0s";

    private static string Prefix(string stage, bool prefixStages) => prefixStages && stage.Length > 0 ? $"[{stage}] " : "";

    public void Dispose() { }
}
