using HybridBuild.Core.Configuration;
using Microsoft.Extensions.Configuration;
using static HybridBuild.BuildKit.Tests.Engines.EngineComparisonTests;

namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>The native engine when nothing answers at its address: the stage fails saying where BuildKit was looked for.</summary>
public sealed class NativeEngineUnreachableTests
{
    [Theory]
    [InlineData("unix://")]
    [InlineData("docker+unix://")]
    public async Task A_daemon_that_is_not_there_fails_the_stage_with_the_address_named_and_logs_why(string scheme)
    {
        var socket = Path.Combine(Path.GetTempPath(), $"nothing-{Guid.NewGuid():N}.sock");
        var logs = new RecordedLogs();
        await using var services = Services(scheme + socket, logs);
        using var work = new Workspace().With("Dockerfile", "FROM scratch\n");

        var result = await BuildAsync(services.GetRequiredService<NativeEngine>(), work, new StageOutput { Type = OutputType.None }, null)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(result.Succeeded);
        Assert.Contains(scheme + socket, result.Error);
        Assert.Contains("there is no socket at", result.Error);
        Assert.Contains(logs.Entries, e => e.Level >= LogLevel.Warning && e.Message.Contains(scheme + socket));
    }

    [Fact]
    public async Task The_readiness_check_of_a_daemon_that_is_not_there_names_the_address()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"nothing-{Guid.NewGuid():N}.sock");
        await using var services = Services("unix://" + socket, new RecordedLogs());

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            services.GetRequiredService<NativeEngine>().CheckAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains(socket, error.Message);
    }

    private static ServiceProvider Services(string address, RecordedLogs logs)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Native:Address"] = address,
        }).Build();
        return new ServiceCollection()
            .AddLogging(l => l.AddProvider(logs))
            .AddHybridBuildEngine(configuration)
            .BuildServiceProvider();
    }

    private sealed class RecordedLogs : ILoggerProvider, ILogger
    {
        private readonly List<(LogLevel Level, string Message)> _entries = [];

        public IReadOnlyList<(LogLevel Level, string Message)> Entries { get { lock (_entries) return [.. _entries]; } }

        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries) _entries.Add((logLevel, formatter(state, exception) + " " + exception?.Message));
        }

        public void Dispose() { }
    }
}

public sealed class RegistryCredentialOptionsTests
{
    [Fact]
    public void Printing_registry_credentials_shows_the_registry_and_user_but_never_the_password()
    {
        var text = new RegistryCredentialOptions { Host = "registry.example.com", Username = "builder", Password = "hunter2-secret" }.ToString();

        Assert.Contains("registry.example.com", text);
        Assert.Contains("builder", text);
        Assert.DoesNotContain("hunter2-secret", text);
    }
}

public sealed class NativeEngineAddressTests
{
    [Fact]
    public async Task BuildKit_in_another_Docker_engine_than_the_Docker_clients_is_checked_without_asking_the_Docker_client()
    {
        // BuildKit answers at the local engine; the Docker client is pointed at an engine that is not there.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Native:Address"] = "docker+" + new HybridBuild.BuildKit.Docker.DockerEngineOptions().ResolvedHost,
            ["Engine:Docker:Host"] = $"unix:///tmp/no-engine-{Guid.NewGuid():N}.sock",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddHybridBuildEngine(configuration).BuildServiceProvider();

        var status = await services.GetRequiredService<NativeEngine>().CheckAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(status.Ready, status.Description);
        Assert.False(status.Data.ContainsKey("dockerVersion"));
    }
}
