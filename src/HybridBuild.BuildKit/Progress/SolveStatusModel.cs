using System.Text.Json.Serialization;

namespace HybridBuild.BuildKit.Progress;

// The parts of BuildKit's SolveStatus that both engines report and that we use: buildx prints them as rawjson,
// the native client receives them from Control/Status.
internal sealed record SolveStatus(List<Vertex>? Vertexes, List<VertexLog>? Logs);

internal sealed record Vertex(string? Digest, string? Name, DateTimeOffset? Started, DateTimeOffset? Completed, bool Cached, string? Error);

internal sealed record VertexLog(string? Vertex, int Stream, byte[]? Data, DateTimeOffset? Timestamp);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SolveStatus))]
internal sealed partial class RawJsonContext : JsonSerializerContext;
