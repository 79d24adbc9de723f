using System.Text;
using System.Text.Json;
using HybridBuild.BuildKit.Progress;

namespace HybridBuild.BuildKit.Buildx;

/// <summary>
/// Turns <c>docker buildx build --progress=rawjson</c> standard error into step events and log lines.
/// buildx writes BuildKit's SolveStatus messages as indented JSON objects, one after another, and
/// plain text (the final <c>ERROR:</c> line, a Dockerfile excerpt) between them.
/// </summary>
internal sealed class RawJsonProgressParser(IBuildProgress progress)
{
    private readonly StringBuilder _json = new();
    private int _depth;
    private bool _inString;
    private bool _escaped;
    private readonly StepTracker _steps = new(progress);

    /// <summary>The engine's own error message (buildx's final <c>ERROR:</c> line), once seen.</summary>
    public string? Error { get; private set; }

    /// <summary>The first error a step reported.</summary>
    public string? StepError => _steps.StepError;

    public void Feed(string line)
    {
        if (_depth == 0 && !line.TrimStart().StartsWith('{'))
        {
            if (line.StartsWith("ERROR: ", StringComparison.Ordinal)) Error ??= line["ERROR: ".Length..];
            if (line.Length > 0) progress.Log(new LogLine(null, 2, line, DateTimeOffset.UtcNow));
            return;
        }
        _json.Append(line).Append('\n');
        Scan(line);
        if (_depth != 0) return;
        var text = _json.ToString();
        _json.Clear();
        try
        {
            _steps.Handle(JsonSerializer.Deserialize(text, RawJsonContext.Default.SolveStatus));
        }
        catch (JsonException)
        {
            progress.Log(new LogLine(null, 2, text.TrimEnd(), DateTimeOffset.UtcNow));
        }
    }

    /// <summary>Emits log lines still waiting for their newline.</summary>
    public void Complete() => _steps.Complete();

    private void Scan(string line)
    {
        foreach (var c in line)
        {
            if (_inString)
            {
                if (_escaped) _escaped = false;
                else if (c == '\\') _escaped = true;
                else if (c == '"') _inString = false;
            }
            else if (c == '"') _inString = true;
            else if (c == '{') _depth++;
            else if (c == '}') _depth--;
        }
    }
}
