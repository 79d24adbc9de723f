using HybridBuild.Application.Builders;

namespace HybridBuild.Api.Hosting;

/// <summary>Asks the BuildKit engine what it is at start-up, so an operator sees the engine, version and image store in the log.</summary>
internal sealed partial class EngineStartupCheck(BuilderPool pool, ILogger<EngineStartupCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        await Task.WhenAll(pool.All.Select(async builder =>
        {
            var name = pool.All.Count == 1 ? builder.Engine.Name : $"{builder.Engine.Name} (builder {builder.Name})";
            try
            {
                var state = await pool.CheckAsync(builder, timeout.Token);
                if (state.Up) LogReady(name, state.Description);
                else LogNotReady(name, state.Description);
                if (state.Data.TryGetValue("imageStore", out var store) && store is string s && s != "containerd")
                    LogClassicStore(s);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LogNotReady(name, "it did not answer within 15 s");
            }
        }));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "BuildKit engine {Engine}: {Description}")]
    private partial void LogReady(string engine, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BuildKit engine {Engine} is not ready: {Description}; /health/ready reports it until it answers")]
    private partial void LogNotReady(string engine, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Docker engine uses the {Store} image store; multi-platform and non-Linux (wasi/wasm) images need the containerd image store")]
    private partial void LogClassicStore(string store);
}
