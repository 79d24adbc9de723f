using System.Text.Json.Serialization;

namespace HybridBuild.BuildKit.Buildx;

// The parts of BuildKit's SolveStatus that buildx's rawjson progress carries and that we use.
internal sealed record SolveStatus(List<Vertex>? Vertexes, List<VertexLog>? Logs);

internal sealed record Vertex(string? Digest, string? Name, DateTimeOffset? Started, DateTimeOffset? Completed, bool Cached, string? Error);

internal sealed record VertexLog(string? Vertex, int Stream, byte[]? Data, DateTimeOffset? Timestamp);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SolveStatus))]
internal sealed partial class RawJsonContext : JsonSerializerContext;
