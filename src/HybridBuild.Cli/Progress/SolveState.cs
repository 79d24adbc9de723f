using HybridBuild.Cli.Api;

namespace HybridBuild.Cli.Progress;

/// <summary>A BuildKit step of one of the build's stages, numbered across the whole build as buildx numbers vertices.</summary>
internal sealed class StepState(int number, string stage, string name)
{
    public int Number { get; } = number;
    public string Stage { get; } = stage;
    public string Name { get; set; } = name;
    public DateTimeOffset? Started { get; set; }
    public DateTimeOffset? Completed { get; set; }
    public bool Cached { get; set; }
    public string? Error { get; set; }
    public Queue<string> Tail { get; } = new();
    public bool Done => Completed is not null || Cached || Error is not null;
}

/// <summary>What changed with one event, for a view to print.</summary>
internal abstract record SolveChange
{
    public sealed record StepSeen(StepState Step) : SolveChange;
    public sealed record StepLog(StepState? Step, string Stage, string Text, DateTimeOffset Time) : SolveChange;
    public sealed record StepFinished(StepState Step) : SolveChange;
    public sealed record StageChanged(string Stage, StageStatus Status, string? Error) : SolveChange;
    public sealed record Ended(BuildStatus Status) : SolveChange;
}

/// <summary>
/// The build's progress as its log events tell it: the service numbers steps per stage, this numbers them once for the
/// whole build, so that several stages read like one buildx (bake) run.
/// </summary>
internal sealed class SolveState
{
    private const int TailLines = 6;
    private readonly Dictionary<(string Stage, int Step), StepState> _steps = [];

    public List<StepState> Steps { get; } = [];
    public Dictionary<string, StageStatus> Stages { get; } = [];
    public BuildStatus? Result { get; private set; }

    public IEnumerable<SolveChange> Apply(BuildEvent e)
    {
        var stage = e.Data["stage"]?.ToString() ?? "";
        switch (e.Kind)
        {
            case "step":
            {
                var key = (stage, e.Data["step"]?.GetValue<int>() ?? 0);
                var name = e.Data["name"]?.ToString() ?? "";
                var isNew = !_steps.TryGetValue(key, out var step);
                if (step is null)
                {
                    step = new StepState(Steps.Count + 1, stage, name);
                    _steps[key] = step;
                    Steps.Add(step);
                }
                var wasDone = step.Done;
                step.Name = name;
                step.Started ??= Time(e.Data["started"]);
                step.Completed ??= Time(e.Data["completed"]);
                step.Cached |= e.Data["cached"]?.GetValue<bool>() == true;
                step.Error ??= e.Data["error"]?.ToString();
                if (isNew) yield return new SolveChange.StepSeen(step);
                if (!wasDone && step.Done) yield return new SolveChange.StepFinished(step);
                break;
            }
            case "log":
            {
                StepState? step = null;
                if (e.Data["step"]?.GetValue<int>() is { } number) _steps.TryGetValue((stage, number), out step);
                var text = e.Data["text"]?.ToString() ?? "";
                if (step is not null)
                {
                    step.Tail.Enqueue(text);
                    while (step.Tail.Count > TailLines) step.Tail.Dequeue();
                }
                yield return new SolveChange.StepLog(step, stage, text, Time(e.Data["time"]) ?? DateTimeOffset.UtcNow);
                break;
            }
            case "stage":
            {
                if (Enum.TryParse<StageStatus>(e.Data["status"]?.ToString(), ignoreCase: true, out var status))
                {
                    Stages[stage] = status;
                    yield return new SolveChange.StageChanged(stage, status, e.Data["error"]?.ToString());
                }
                break;
            }
            case "end":
                if (Enum.TryParse<BuildStatus>(e.Data["status"]?.ToString(), ignoreCase: true, out var result))
                {
                    Result = result;
                    yield return new SolveChange.Ended(result);
                }
                break;
        }
    }

    private static DateTimeOffset? Time(JsonNode? node) =>
        node is not null && DateTimeOffset.TryParse(node.ToString(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.RoundtripKind, out var time) ? time : null;
}
