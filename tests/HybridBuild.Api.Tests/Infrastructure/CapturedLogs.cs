using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// A logger provider that keeps every message (and exception) it is given, rendered, for a test to search; each line
/// ends with the trace id of the activity it was logged under (<c>TraceId:…</c>), as the service's log scopes carry it.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>All lines so far, one string.</summary>
    public string Text => string.Join('\n', _lines);

    /// <summary>The lines so far.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    /// <summary>The trace id the logger factory's activity scope gives the line, if any.</summary>
    private string TraceOf()
    {
        string? trace = null;
        _scopes.ForEachScope((scope, _) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> values && values.FirstOrDefault(v => v.Key == "TraceId").Value is { } id)
                trace = id.ToString();
        }, (object?)null);
        return trace is null ? "" : $" TraceId:{trace}";
    }

    private sealed class Logger(string category, CapturedLogs logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logs._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}{logs.TraceOf()}");
    }
}
