using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Solve;

/// <summary>Keeps every progress message, merging vertexes by digest as a UI would.</summary>
internal sealed class RecordedProgress : ISolveProgress
{
    private readonly ConcurrentQueue<SolveStatus> _messages = new();

    public IReadOnlyCollection<SolveStatus> Messages => _messages;

    public Dictionary<string, SolveVertex> Vertexes =>
        _messages.SelectMany(m => m.Vertexes).GroupBy(v => v.Digest).ToDictionary(g => g.Key, g => g.Last());

    public string Logs => string.Concat(_messages.SelectMany(m => m.Logs).Select(l => Encoding.UTF8.GetString(l.Data.Span)));

    public Action<SolveStatus>? OnEach { get; init; }

    public void OnStatus(SolveStatus status)
    {
        _messages.Enqueue(status);
        OnEach?.Invoke(status);
    }
}
