using System.Diagnostics;
using System.Globalization;

namespace HybridBuild.Cli.Progress;

/// <summary>
/// buildx's terminal view: a block redrawn in place with ANSI escapes (<c>[+] Building 4.2s (3/7)</c>, a line per step
/// with its time, the last lines of the running steps' output), left on screen in full once the build ends.
/// </summary>
internal sealed class TtyView : IProgressView
{
    private const string ClearLine = "\u001b[K", ClearBelow = "\u001b[J";
    private readonly TextWriter _output;
    private readonly bool _prefixStages;
    private readonly List<StepState> _steps = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private int _drawn;
    private bool _done;

    public TtyView(TextWriter output, bool prefixStages)
    {
        (_output, _prefixStages) = (output, prefixStages);
        _timer = new Timer(_ => Redraw(final: false), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(150));
    }

    public void Apply(IEnumerable<SolveChange> changes)
    {
        lock (_gate)
            foreach (var change in changes)
                if (change is SolveChange.StepSeen(var step)) _steps.Add(step);
    }

    public void Note(string line)
    {
        lock (_gate)
        {
            Erase();
            _output.WriteLine(line);
        }
        Redraw(final: false);
    }

    private void Redraw(bool final)
    {
        lock (_gate)
        {
            if (_done) return;
            var lines = Render(final);
            Erase();
            foreach (var line in lines) _output.Write(line + ClearLine + "\n");
            _output.Write(ClearBelow);
            _output.Flush();
            _drawn = final ? 0 : lines.Count;
            if (final) _done = true;
        }
    }

    private void Erase()
    {
        if (_drawn > 0) _output.Write($"\u001b[{_drawn}F");
        _drawn = 0;
    }

    private List<string> Render(bool final)
    {
        var width = Math.Max(40, SafeWidth() - 1);
        var done = _steps.Count(s => s.Done);
        var lines = new List<string>
        {
            $"[+] Building {_clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s ({done}/{_steps.Count}){(final ? " FINISHED" : "")}",
        };
        foreach (var step in _steps)
        {
            var name = $" => {(_prefixStages ? $"[{step.Stage}] " : "")}{step.Name}";
            var status = step switch
            {
                { Error: not null } => "ERROR",
                { Cached: true } => "CACHED",
                { Completed: not null } => PlainView.Seconds(step),
                { Started: { } started } => (DateTimeOffset.UtcNow - started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s",
                _ => "",
            };
            lines.Add(Fit(name, status, width));
            if (!step.Done || step.Error is not null)
                foreach (var tail in step.Tail.TakeLast(final ? 6 : 3)) lines.Add(Fit($" => => # {tail}", "", width));
        }
        if (final) return lines;
        var height = Math.Max(5, SafeHeight() - 2);
        return lines.Count <= height ? lines : [lines[0], .. lines.Skip(lines.Count - height + 1)];
    }

    private static string Fit(string text, string right, int width)
    {
        text = text.Replace('\t', ' ').Replace("\r", "");
        var room = width - right.Length - 1;
        if (text.Length > room) text = text[..Math.Max(0, room - 1)] + "…";
        return right.Length == 0 ? text : text.PadRight(room) + " " + right;
    }

    private static int SafeWidth() { try { return Console.WindowWidth > 0 ? Console.WindowWidth : 100; } catch (IOException) { return 100; } }
    private static int SafeHeight() { try { return Console.WindowHeight > 0 ? Console.WindowHeight : 24; } catch (IOException) { return 24; } }

    public void Dispose()
    {
        _timer.Dispose();
        Redraw(final: true);
    }
}
