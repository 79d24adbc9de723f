using HybridBuild.Core.Abstractions;

namespace HybridBuild.Testing;

/// <summary>Keeps what an engine or a progress parser reported, for a test to look at.</summary>
public sealed class RecordingProgress : IBuildProgress
{
    private readonly List<StepEvent> _steps = [];
    private readonly List<LogLine> _lines = [];

    public IReadOnlyList<StepEvent> Steps { get { lock (_steps) return [.. _steps]; } }
    public IReadOnlyList<LogLine> Lines { get { lock (_lines) return [.. _lines]; } }

    public void Step(StepEvent step) { lock (_steps) _steps.Add(step); }
    public void Log(LogLine line) { lock (_lines) _lines.Add(line); }

    /// <summary>Every step's name and error, then every log line.</summary>
    public string Text()
    {
        var text = new StringBuilder();
        foreach (var step in Steps) text.Append(step.Name).Append(' ').AppendLine(step.Error);
        foreach (var line in Lines) text.AppendLine(line.Text);
        return text.ToString();
    }
}
