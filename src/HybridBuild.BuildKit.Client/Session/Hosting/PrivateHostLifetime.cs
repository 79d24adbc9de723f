using Microsoft.Extensions.Hosting;

namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>
/// Replaces the console lifetime: the private host is started and stopped by its owner, and must neither hook
/// Ctrl+C/SIGTERM nor print start-up banners inside the application that embeds it.
/// </summary>
internal sealed class PrivateHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
