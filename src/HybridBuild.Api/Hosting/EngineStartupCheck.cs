namespace HybridBuild.Api.Hosting;

/// <summary>Asks the BuildKit engine what it is at start-up, so an operator sees the engine, version and image store in the log.</summary>
internal sealed partial class EngineStartupCheck(IBuildEngine engine, ILogger<EngineStartupCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            var status = await engine.CheckAsync(timeout.Token);
            if (status.Ready) LogReady(engine.Name, status.Description);
            else LogNotReady(engine.Name, status.Description);
            if (status.Data.TryGetValue("imageStore", out var store) && store is string s && s != "containerd")
                LogClassicStore(s);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogNotReady(engine.Name, e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "BuildKit engine {Engine}: {Description}")]
    private partial void LogReady(string engine, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BuildKit engine {Engine} is not ready: {Description}; /health/ready reports it until it answers")]
    private partial void LogNotReady(string engine, string description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Docker engine uses the {Store} image store; multi-platform and non-Linux (wasi/wasm) images need the containerd image store")]
    private partial void LogClassicStore(string store);
}
