using OpenTelemetry.Metrics;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Hosting;

/// <summary>
/// /metrics without a key on Telemetry:MetricsPort, for a scraper that cannot hold a key: a small server of its own
/// that serves nothing else, so the API's port, its endpoints and their authorization stay exactly as they are (Kestrel
/// binds either the hosting URLs or endpoints set in code, never both, so the API's server cannot take the port too).
/// </summary>
internal sealed class MetricsPortServer(IOptions<TelemetryOptions> options, MeterProvider meters) : IHostedService, IAsyncDisposable
{
    private WebApplication? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MetricsPort is not { } port) return;
        // no arguments and no settings of the host's: its URLs and ports (ASPNETCORE_HTTP_PORTS) are the API's
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        var host = options.Value.MetricsHost;
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [WebHostDefaults.ServerUrlsKey] = host.Contains(':') ? $"http://[{host}]:{port}" : $"http://{host}:{port}",
        });
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapPrometheusScrapingEndpoint(TelemetrySetup.MetricsPath, meters, configureBranchedPipeline: null, optionsName: null);
        await _server.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null) await _server.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
