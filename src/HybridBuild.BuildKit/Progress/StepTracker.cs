using System.Runtime.InteropServices;
using System.Text;

namespace HybridBuild.BuildKit.Progress;

/// <summary>
/// Turns BuildKit's status updates into the service's step events and log lines. The daemon re-sends a vertex on
/// every change, so steps are merged by digest and an event is raised only when something new happened; log
/// chunks are not line-aligned, so bytes wait for their newline. Both engines use this, so they report alike.
/// </summary>
internal sealed class StepTracker(IBuildProgress progress)
{
    private readonly Dictionary<string, StepState> _steps = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Vertex, int Stream), List<byte>> _partialLines = [];

    /// <summary>The first error a step reported.</summary>
    public string? StepError { get; private set; }

    public void Handle(SolveStatus? status)
    {
        foreach (var vertex in status?.Vertexes ?? [])
        {
            if (string.IsNullOrEmpty(vertex.Digest)) continue;
            if (!_steps.TryGetValue(vertex.Digest, out var state))
                _steps[vertex.Digest] = state = new StepState(_steps.Count + 1);
            var changed = state.Update(vertex);
            if (!string.IsNullOrEmpty(vertex.Error)) StepError ??= vertex.Error;
            if (changed)
                progress.Step(new StepEvent(vertex.Digest, state.Number, vertex.Name ?? "", vertex.Cached,
                    vertex.Started, vertex.Completed, string.IsNullOrEmpty(vertex.Error) ? null : vertex.Error));
        }
        foreach (var log in status?.Logs ?? [])
            AppendLog(log);
    }

    /// <summary>Emits log lines still waiting for their newline.</summary>
    public void Complete()
    {
        foreach (var ((vertex, stream), buffer) in _partialLines.Where(p => p.Value.Count > 0))
            progress.Log(new LogLine(vertex, stream, Encoding.UTF8.GetString([.. buffer]), DateTimeOffset.UtcNow));
        _partialLines.Clear();
    }

    private void AppendLog(VertexLog log)
    {
        if (log.Data is null || log.Data.Length == 0) return;
        var key = (log.Vertex ?? "", log.Stream);
        // bytes are kept until a newline: a chunk may end in the middle of a UTF-8 character
        if (!_partialLines.TryGetValue(key, out var buffer)) _partialLines[key] = buffer = [];
        buffer.AddRange(log.Data);
        var end = buffer.LastIndexOf((byte)'\n');
        if (end < 0) return;
        var text = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(buffer)[..end]);
        foreach (var line in text.Split('\n'))
            progress.Log(new LogLine(log.Vertex, log.Stream, line.TrimEnd('\r'), log.Timestamp ?? DateTimeOffset.UtcNow));
        buffer.RemoveRange(0, end + 1);
    }

    private sealed class StepState(int number)
    {
        public int Number { get; } = number;
        private bool _started, _completed, _cached, _failed;

        public bool Update(Vertex vertex)
        {
            var changed = (vertex.Started is not null && !_started) || (vertex.Completed is not null && !_completed)
                || (vertex.Cached && !_cached) || (!string.IsNullOrEmpty(vertex.Error) && !_failed);
            _started |= vertex.Started is not null;
            _completed |= vertex.Completed is not null;
            _cached |= vertex.Cached;
            _failed |= !string.IsNullOrEmpty(vertex.Error);
            return changed;
        }
    }
}
