namespace HybridBuild.BuildKit.Client;

/// <summary>Receives a build's progress as the daemon reports it. Called from one task at a time, in order.</summary>
public interface ISolveProgress
{
    /// <summary>One progress message; a vertex is re-sent whenever it changes (merge by digest).</summary>
    void OnStatus(SolveStatus status);
}

/// <summary>One progress message from the daemon.</summary>
public sealed record SolveStatus(
    IReadOnlyList<SolveVertex> Vertexes,
    IReadOnlyList<SolveVertexStatus> Statuses,
    IReadOnlyList<SolveLog> Logs,
    IReadOnlyList<SolveWarning> Warnings);

/// <summary>A build step, e.g. <c>[2/3] RUN make</c>.</summary>
/// <param name="Inputs">Digests of the steps this one depends on.</param>
/// <param name="Error">Why the step failed, or null.</param>
public sealed record SolveVertex(
    string Digest, IReadOnlyList<string> Inputs, string Name, bool Cached, DateTimeOffset? Started, DateTimeOffset? Completed, string? Error);

/// <summary>A sub-task of a step (a transfer, a layer): progress as <paramref name="Current"/> of <paramref name="Total"/> (0 = unknown).</summary>
public sealed record SolveVertexStatus(
    string Id, string Vertex, string Name, long Current, long Total, DateTimeOffset? Timestamp, DateTimeOffset? Started, DateTimeOffset? Completed);

/// <summary>A chunk of a step's output; not line-aligned.</summary>
/// <param name="Stream">1 = stdout, 2 = stderr.</param>
public sealed record SolveLog(string Vertex, int Stream, ReadOnlyMemory<byte> Data, DateTimeOffset? Timestamp);

/// <summary>A warning from the frontend (e.g. a Dockerfile lint rule).</summary>
public sealed record SolveWarning(string Vertex, long Level, string Short, IReadOnlyList<string> Detail, string? Url);
