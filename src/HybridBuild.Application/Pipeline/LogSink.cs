using System.Threading.Channels;

namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Receives a stage's progress from the engine and writes it to the build log in batches,
/// so a chatty build costs a few inserts a second instead of one per line. Nothing is clipped while the database
/// keeps up; while it is unavailable, lines wait in memory up to <see cref="MaxPendingChars"/> and one outage
/// deadline for the whole stage, and what is dropped past either is counted in the log.
/// </summary>
internal sealed class LogSink : IBuildProgress, IAsyncDisposable
{
    private const int MaxBatch = 500;
    /// <summary>Log text held in memory at most (about 128 MiB), so an outage under a chatty build cannot exhaust the node.</summary>
    private const long MaxPendingChars = 64L << 20;
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);

    private readonly BuildLog _log;
    private readonly Guid _buildId;
    private readonly string _stage;
    private readonly TimeProvider _clock;
    private readonly Channel<LogEvent> _pending = Channel.CreateUnbounded<LogEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, int> _stepNumbers = new(StringComparer.Ordinal);
    private readonly Task _writer;
    private long _pendingChars;
    private long _dropped;
    /// <summary>Until when writes wait for the database in the outage under way, or null while it answers.</summary>
    private DateTimeOffset? _giveUpAt;

    public LogSink(BuildLog log, Guid buildId, string stage, TimeProvider clock)
    {
        _log = log;
        _buildId = buildId;
        _stage = stage;
        _clock = clock;
        _writer = Task.Run(WriteAsync);
    }

    public void Step(StepEvent step)
    {
        lock (_stepNumbers) _stepNumbers[step.Id] = step.Number;
        var data = new StepEventData(step.Number, step.Name, step.Cached, step.Started, step.Completed, step.Error);
        Post(LogEventKind.Step, step.Number, null, JsonSerializer.Serialize(data, ApiJson.Options), step.Completed ?? step.Started);
    }

    public void Log(LogLine line)
    {
        int? number = null;
        if (line.StepId is not null)
            lock (_stepNumbers) number = _stepNumbers.TryGetValue(line.StepId, out var n) ? n : null;
        Post(LogEventKind.Log, number, line.Stream, line.Text, line.Time);
    }

    /// <summary>A line from the service itself (fetching sources, placing inputs, storing artifacts).</summary>
    public void Note(string text) => Post(LogEventKind.Log, null, 2, text, null);

    private void Post(LogEventKind kind, int? step, int? stream, string data, DateTimeOffset? time)
    {
        if (Interlocked.Add(ref _pendingChars, data.Length) > MaxPendingChars)
        {
            Interlocked.Add(ref _pendingChars, -data.Length);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _pending.Writer.TryWrite(new LogEvent
        {
            BuildId = _buildId, Stage = _stage, Kind = kind, Step = step, Stream = stream,
            // PostgreSQL text cannot hold NUL; a build printing binary output must not lose its log
            Data = data.Replace('\0', '\uFFFD'), Time = time ?? _clock.GetUtcNow(),
        });
    }

    private async Task WriteAsync()
    {
        var batch = new List<LogEvent>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            using (var window = new CancellationTokenSource(FlushInterval))
            {
                try
                {
                    while (batch.Count < MaxBatch && await _pending.Reader.WaitToReadAsync(window.Token))
                        while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item)) batch.Add(item);
                }
                catch (OperationCanceledException)
                {
                    // the batching window closed; write what we have
                }
            }
            await WriteBatchAsync(batch);
            batch.Clear();
        }
    }

    /// <summary>
    /// A log write never fails the stage: a batch waits out a database outage until the outage's one deadline
    /// (<see cref="BuildLog.OutageTolerance"/> from its first failed write), and is dropped past it.
    /// </summary>
    private async Task WriteBatchAsync(List<LogEvent> batch)
    {
        try
        {
            var giveUpAt = _giveUpAt ?? _clock.GetUtcNow() + _log.OutageTolerance;
            await _log.AppendRidingOutAsync(_buildId, _stage, batch, giveUpAt, () => _giveUpAt ??= giveUpAt);
            _giveUpAt = null;
        }
        catch (Exception e)
        {
            Interlocked.Add(ref _dropped, batch.Count);
            _log.WriteFailed(e, _buildId, _stage);
        }
        finally
        {
            Interlocked.Add(ref _pendingChars, -batch.Sum(b => (long)b.Data.Length));
        }
    }

    /// <summary>Writes everything still pending.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
        if (Interlocked.Read(ref _dropped) is > 0 and var dropped)
        {
            var note = new LogEvent
            {
                BuildId = _buildId, Stage = _stage, Kind = LogEventKind.Log, Stream = 2, Time = _clock.GetUtcNow(),
                Data = $"{dropped} log line(s) of this stage were dropped: the database could not take them in time",
            };
            try
            {
                await _log.AppendAsync(_buildId, [note], CancellationToken.None);
            }
            catch (Exception e)
            {
                _log.WriteFailed(e, _buildId, _stage);
            }
        }
    }
}
