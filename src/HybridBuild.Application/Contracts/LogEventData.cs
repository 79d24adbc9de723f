namespace HybridBuild.Application.Contracts;

/// <summary>A BuildKit step as stored in the log and sent as an SSE <c>step</c> event.</summary>
public sealed record StepEventData(int Number, string Name, bool Cached, DateTimeOffset? Started, DateTimeOffset? Completed, string? Error);

/// <summary>A stage status change as stored in the log and sent as an SSE <c>stage</c> event.</summary>
public sealed record StageEventData(StageStatus Status, string? Error);

/// <summary>The SSE payloads: each carries the stage it belongs to.</summary>
public sealed record SseStep(string Stage, int Step, string Name, bool Cached, DateTimeOffset? Started, DateTimeOffset? Completed, string? Error);

public sealed record SseLog(string Stage, int? Step, int? Stream, string Text, DateTimeOffset Time);

public sealed record SseStage(string Stage, StageStatus Status, string? Error, DateTimeOffset Time);

public sealed record SseEnd(BuildStatus Status);
