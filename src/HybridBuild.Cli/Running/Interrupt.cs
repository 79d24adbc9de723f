using System.Runtime.InteropServices;

namespace HybridBuild.Cli.Running;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM: the first is caught and cancels <see cref="Token"/>, so a running build can be cancelled
/// on the service before the command exits (130); a second one ends the process at once.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    public const int ExitCode = 130;
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;

    public Interrupt() => _registrations =
    [
        PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
    ];

    public CancellationToken Token => _source.Token;
    public bool Requested => _source.IsCancellationRequested;

    private void Handle(PosixSignalContext context)
    {
        if (_source.IsCancellationRequested) return; // the second: the default action ends the process
        context.Cancel = true;
        _source.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _source.Dispose();
    }
}
