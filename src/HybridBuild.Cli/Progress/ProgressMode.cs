namespace HybridBuild.Cli.Progress;

/// <summary>buildx's <c>--progress</c>: auto (tty when stderr is a terminal, else plain), plain, tty, quiet.</summary>
internal enum ProgressMode { Auto, Plain, Tty, Quiet }

internal static class ProgressModes
{
    public static ProgressMode Parse(string value) => value.ToLowerInvariant() switch
    {
        "auto" => ProgressMode.Auto,
        "plain" => ProgressMode.Plain,
        "tty" => ProgressMode.Tty,
        "quiet" or "none" => ProgressMode.Quiet,
        _ => throw new Commands.UsageException($"--progress '{value}' is not one of: auto, plain, tty, quiet"),
    };

    /// <summary>Auto made concrete: tty only when stderr is a terminal (and TERM is not dumb).</summary>
    public static ProgressMode Resolve(ProgressMode mode) => mode != ProgressMode.Auto ? mode
        : !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb" ? ProgressMode.Tty : ProgressMode.Plain;

    public static IProgressView Create(ProgressMode mode, bool prefixStages) => Resolve(mode) switch
    {
        ProgressMode.Tty => new TtyView(Console.Error, prefixStages),
        ProgressMode.Quiet => new QuietView(),
        _ => new PlainView(Console.Error, prefixStages),
    };
}

/// <summary>How a build's progress is shown while it runs.</summary>
internal interface IProgressView : IDisposable
{
    void Apply(IEnumerable<SolveChange> changes);
    /// <summary>A line of the command's own (a cancellation, a download), shown between the build's.</summary>
    void Note(string line);
}

internal sealed class QuietView : IProgressView
{
    public void Apply(IEnumerable<SolveChange> changes) { foreach (var _ in changes) { } }
    public void Note(string line) { }
    public void Dispose() { }
}
