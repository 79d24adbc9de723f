using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using HybridBuild.Application;
using HybridBuild.Core;
using HybridBuild.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridBuild.Application.Tests;

/// <summary>
/// One PostgreSQL server for the run (a container, or HYBRIDBUILD_TEST_POSTGRES), and per test a fresh database
/// holding the service's schema and Hangfire's: the application core wired as the host wires it, with Hangfire's
/// real PostgreSQL storage as transport and no server taking the jobs, so a test sees exactly what was queued.
/// </summary>
public sealed class ApplicationFixture : IAsyncLifetime
{
    private PostgresServer? _postgres;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    /// <summary>
    /// The application core on a new, migrated database; blobs and the work directory under a temporary directory it
    /// removes; <paramref name="settings"/> on top of the defaults, and what <paramref name="addServices"/> adds (an engine).
    /// </summary>
    public async Task<WiredCore> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection, IConfiguration>? addServices = null)
    {
        var connectionString = await _postgres!.CreateDatabaseAsync("hybridbuild_app");
        var scratch = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["Storage:FileSystem:Root"] = Path.Combine(scratch.Path, "blobs"),
            ["Worker:WorkDirectory"] = Path.Combine(scratch.Path, "work"),
            ["Secrets:MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        }).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var hangfire = new PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = true };
        var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, hangfire), hangfire);
        var collection = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration).AddLogging()
            .AddSingleton<JobStorage>(storage).AddSingleton<IBackgroundJobClient>(new BackgroundJobClient(storage))
            .AddHybridBuildCore(configuration).AddHybridBuildStorage(configuration).AddHybridBuildData(configuration)
            .AddHybridBuildApplication(configuration);
        addServices?.Invoke(collection, configuration);
        var services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        await using (var scope = services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<BuildDbContext>().Database.MigrateAsync();
        return new WiredCore(services, storage, scratch);
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
    }

    /// <summary>The wired core of one test: a scope per unit of work, as each request or job has its own.</summary>
    public sealed class WiredCore(ServiceProvider services, JobStorage storage, TempDirectory scratch) : IAsyncDisposable
    {
        public JobStorage Jobs => storage;

        public AsyncServiceScope Scope() => services.CreateAsyncScope();

        /// <summary>Runs <paramref name="work"/> with <typeparamref name="T"/> from a scope of its own.</summary>
        public async Task<TResult> WithAsync<T, TResult>(Func<T, Task<TResult>> work) where T : notnull
        {
            await using var scope = Scope();
            return await work(scope.ServiceProvider.GetRequiredService<T>());
        }

        public async Task WithAsync<T>(Func<T, Task> work) where T : notnull
        {
            await using var scope = Scope();
            await work(scope.ServiceProvider.GetRequiredService<T>());
        }

        public async ValueTask DisposeAsync()
        {
            await services.DisposeAsync();
            scratch.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<ApplicationFixture>
{
    public const string Name = "postgres";
}

/// <summary>A test class whose every test gets the application core on a database of its own.</summary>
public abstract class CoreTest(ApplicationFixture fixture) : IAsyncLifetime
{
    protected ApplicationFixture.WiredCore Core { get; private set; } = null!;

    /// <summary>Configuration of this class's tests, on top of the fixture's.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    /// <summary>Services of this class's tests, on top of the core's.</summary>
    protected virtual void AddServices(IServiceCollection services, IConfiguration configuration) { }

    public async Task InitializeAsync() => Core = await fixture.StartAsync(Settings, AddServices);

    public async Task DisposeAsync() => await Core.DisposeAsync();
}
