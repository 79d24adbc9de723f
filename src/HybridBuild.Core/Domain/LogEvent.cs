namespace HybridBuild.Core.Domain;

public enum LogEventKind { Log, Step, Stage }

/// <summary>
/// One entry of a build's log: a log line, a BuildKit step change or a stage status change.
/// Its id orders the log and is the Server-Sent Events id that a client resumes from.
/// </summary>
public sealed class LogEvent
{
    public long Id { get; set; }
    public Guid BuildId { get; set; }
    public string Stage { get; set; } = "";
    public LogEventKind Kind { get; set; }
    public DateTimeOffset Time { get; set; }
    /// <summary>The BuildKit step (vertex) number a log line or step event belongs to.</summary>
    public int? Step { get; set; }
    /// <summary>1 for standard output, 2 for standard error.</summary>
    public int? Stream { get; set; }
    /// <summary>The text of a log line, or the JSON of a step or stage event.</summary>
    public string Data { get; set; } = "";
}
