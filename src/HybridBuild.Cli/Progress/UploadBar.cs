using System.Diagnostics;
using System.Globalization;

namespace HybridBuild.Cli.Progress;

/// <summary>
/// The context upload's progress bar on stderr, redrawn on one line at most ten times a second; plain mode writes one
/// line when the upload starts and one when it is done, quiet nothing.
/// </summary>
internal sealed class UploadBar(TextWriter output, ProgressMode mode, long total) : IProgress<long>, IDisposable
{
    private const int Width = 30;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long _sent;
    private TimeSpan _lastDraw = TimeSpan.FromSeconds(-1); // the first report draws

    public void Start(int files)
    {
        if (mode == ProgressMode.Plain) output.WriteLine($"#0 sending context: {files} entries, {Size(total)}");
    }

    public void Report(long value)
    {
        lock (_gate)
        {
            _sent = value;
            if (mode != ProgressMode.Tty || _clock.Elapsed - _lastDraw < TimeSpan.FromMilliseconds(100)) return;
            _lastDraw = _clock.Elapsed;
            Draw();
        }
    }

    private void Draw()
    {
        var share = total == 0 ? 1 : Math.Min(1, (double)_sent / total);
        var filled = (int)Math.Round(share * Width);
        output.Write($"\r[+] Uploading context [{new string('=', filled)}{new string(' ', Width - filled)}] {Size(_sent)} / {Size(total)}\u001b[K");
        output.Flush();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (mode == ProgressMode.Tty)
            {
                Draw();
                output.WriteLine();
            }
            else if (mode == ProgressMode.Plain)
            {
                output.WriteLine($"#0 context sent: {Size(_sent)} in {_clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s");
                output.WriteLine();
            }
        }
    }

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes}B",
        < 1 << 20 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + "kB",
        < 1L << 30 => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + "MB",
        _ => (bytes / 1073741824.0).ToString("0.00", CultureInfo.InvariantCulture) + "GB",
    };
}
