namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>
/// Sends the private host's logs to the owner's logger factory, after the private host's own filters have run.
/// Disposing it leaves the owner's factory alone.
/// </summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}
