using HybridBuild.BuildKit.Docker;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// The service as it runs: Kestrel on a loopback port, a real PostgreSQL, the Docker engine's BuildKit,
/// a file-system blob store, and a registry:2 for image pushes. Components are started here, or the
/// fixture fails saying what is missing.
/// Set HYBRIDBUILD_TEST_POSTGRES to a server connection string to use an existing PostgreSQL instead of a container.
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public const long MaxArchiveBytes = 8L << 20;
    /// <summary>Small, so that a test can pass it with a matrix that still runs quickly.</summary>
    public const int MaxMatrixCombinations = 4;
    /// <summary>The configured admin key of the services the tests start; the fixture's client sends it.</summary>
    public static readonly string AdminKey = "test-admin-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    private PostgresServer? _postgres;
    private RegistryContainer? _registry;
    private WebApplicationFactory<Program>? _factory;
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), $"hybridbuild-tests-{Guid.NewGuid():N}");

    public HttpClient Client { get; private set; } = null!;
    /// <summary>The root of the service's file-system blob store, to check which blobs it keeps.</summary>
    public string BlobRoot => Path.Combine(_scratch, "blobs");
    /// <summary>The service's Worker:WorkDirectory, to check what its stages and uploads leave there.</summary>
    public string WorkDirectory => Path.Combine(_scratch, "work");
    /// <summary>The fixture's Retention:Succeeded and Retention:Failed: longer than any build the tests make lives, unless a test ages one on purpose.</summary>
    public static readonly TimeSpan RetentionAge = TimeSpan.FromDays(3650);
    public const int PublicationWorkers = 3, SpecFileWorkers = 2;
    /// <summary>The service's Engine:Wasi:Image: the verification tests build it (Debian 13 with wasmedge) before they need it.</summary>
    public const string WasiHelperImage = "localhost:5000/hybridbuild-test/wasi-helper:wasmedge";
    /// <summary>The service's container, to run a recurring job on demand.</summary>
    public IServiceProvider Services => _factory!.Services;
    public Uri BaseAddress { get; private set; } = null!;
    /// <summary>The service's Telemetry:MetricsPort: /metrics without a key, on localhost.</summary>
    public int MetricsPort { get; } = Ports.Free();
    /// <summary>host:port of the registry, as BuildKit on the Docker engine reaches it.</summary>
    public string Registry { get; private set; } = "";

    private readonly Lazy<Task> _wasiHelper;

    /// <summary>The fixture's Engine:Wasi:Image, built through the service once per run: Debian 13 with its wasmedge package.</summary>
    public Task EnsureWasiHelperAsync() => _wasiHelper.Value;

    public ServiceFixture() => _wasiHelper = new(async () =>
    {
        var api = new BuildApi(Client);
        var build = await api.SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                ["Dockerfile"] = "FROM debian:trixie-slim\nRUN apt-get update && apt-get install -y --no-install-recommends wasmedge && rm -rf /var/lib/apt/lists/*\n",
            } } },
            Stages = [new StageSpec { Name = "wasi-helper", Output = new OutputSpec { Type = OutputType.Image, Tags = [WasiHelperImage] } }],
        });
        await api.WaitSucceededAsync(build.Id, TimeSpan.FromMinutes(5));
    });

    public async Task InitializeAsync()
    {
        await RequireDockerAsync();
        var connectionString = await StartPostgresAsync();
        await StartRegistryAsync();
        Artifactory = await HybridBuild.Testing.Artifactory.ArtifactoryTestServer.StartAsync();
        await StartProtectedRegistryAsync();

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            host.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = connectionString,
                ["Storage:FileSystem:Root"] = BlobRoot,
                ["Worker:WorkDirectory"] = WorkDirectory,
                ["Worker:Concurrency"] = "4",
                ["Worker:PublicationConcurrency"] = PublicationWorkers.ToString(),
                ["Worker:SpecFileConcurrency"] = SpecFileWorkers.ToString(),
                ["Retention:Succeeded"] = RetentionAge.ToString(),
                ["Retention:Failed"] = RetentionAge.ToString(),
                ["Limits:MaxArchiveBytes"] = MaxArchiveBytes.ToString(),
                ["Limits:MaxMatrixCombinations"] = MaxMatrixCombinations.ToString(),
                ["Outputs:AllowedTagPrefixes:0"] = "localhost:", // the test registry; nothing else may be tagged on the engine
                ["Engine:Docker:KeepImagesFor"] = "00:00:00", // kept images may go at once: a test runs the housekeeping job
                ["Engine:Wasi:Image"] = WasiHelperImage,
                ["Auth:AdminKey"] = AdminKey,
                ["Publishing:Targets:artifactory-test:Type"] = "artifactory",
                ["Publishing:Targets:artifactory-test:Url"] = Artifactory.Url.ToString(),
                ["Publishing:Targets:artifactory-test:Repository"] = "generic-local",
                ["Publishing:Targets:artifactory-test:Token"] = ArtifactoryToken,
                ["Publishing:Targets:registry-test:Type"] = "oci",
                ["Publishing:Targets:registry-test:Url"] = $"http://{ProtectedRegistry}",
                ["Publishing:Targets:registry-test:Repository"] = "mirror",
                ["Publishing:Targets:registry-test:Username"] = RegistryUser,
                ["Publishing:Targets:registry-test:Password"] = RegistryPassword,
                ["Secrets:MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["Notifications:SigningSecret"] = NotificationSecret,
                ["Notifications:PublicUrl"] = PublicUrl,
                ["Notifications:FirstRetryDelay"] = "00:00:01",
                ["Telemetry:MetricsPort"] = MetricsPort.ToString(),
            }));
            host.UseSetting("Logging:LogLevel:Default", "Warning");
            // the service's own messages, and its HTTP clients', down to Information: what a test checks no secret reaches
            host.ConfigureLogging(logging => logging.AddProvider(Logs)
                .AddFilter<CapturedLogs>("HybridBuild", LogLevel.Information).AddFilter<CapturedLogs>("System.Net.Http", LogLevel.Information));
            host.UseUrls("http://127.0.0.1:0"); // any free loopback port
        });
        _factory.UseKestrel();
        _factory.StartServer();
        await RequireOwnDatabaseAsync(connectionString);
        ConnectionString = connectionString;
        Client = _factory.CreateClient();
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        Client.Timeout = TimeSpan.FromMinutes(5);
        BaseAddress = Client.BaseAddress!;
    }

    /// <summary>
    /// The service must have migrated the database made for this run: a host that silently fell back to
    /// appsettings.json's connection string would otherwise pass against whatever PostgreSQL the machine runs.
    /// </summary>
    private static async Task RequireOwnDatabaseAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT count(*) FROM hybridbuild.\"__migrations\"", connection);
        if ((long)(await query.ExecuteScalarAsync())! == 0)
            throw new InvalidOperationException("The service did not migrate the test database: its connection string was not the one the tests gave it.");
    }

    private static async Task RequireDockerAsync()
    {
        using var docker = await DockerCheck.ConnectAsync(new DockerEngineOptions().ResolvedHost);
    }

    private async Task<string> StartPostgresAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        return await CreateDatabaseAsync();
    }

    /// <summary>A new, empty database on the test PostgreSQL server, so runs and nodes never see each other's builds.</summary>
    public Task<string> CreateDatabaseAsync() => _postgres!.CreateDatabaseAsync();

    public const string RegistryUser = RegistryContainer.User;
    public const string RegistryPassword = RegistryContainer.Password;
    private RegistryContainer? _protectedRegistry;

    /// <summary>host:port of a registry:2 that wants a password: the publish target "registry-test".</summary>
    public string ProtectedRegistry => _protectedRegistry!.Address;

    private async Task StartProtectedRegistryAsync() => _protectedRegistry = await RegistryContainer.StartAsync(withPassword: true);

    private async Task StartRegistryAsync()
    {
        _registry = await RegistryContainer.StartAsync(withPassword: false);
        Registry = _registry.Address;
    }

    /// <summary>A client for the service that sends the given key, or none.</summary>
    public HttpClient ClientWithKey(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A strict Artifactory test server, configured as the publish target "artifactory-test".</summary>
    public HybridBuild.Testing.Artifactory.ArtifactoryTestServer Artifactory { get; private set; } = null!;
    public const string ArtifactoryToken = "test-access-token";

    /// <summary>The Standard Webhooks secret the service signs notifications with (Notifications:SigningSecret).</summary>
    public static readonly string NotificationSecret = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    /// <summary>Notifications:PublicUrl: the address commit statuses link builds under.</summary>
    public const string PublicUrl = "https://builds.example.test";
    /// <summary>Everything the service logged (its own categories from Information), to check that secrets never appear.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>The service's database, to check what it stored.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>A client for the registry's HTTP API.</summary>
    public HttpClient RegistryClient() => _registry!.Client();

    /// <summary>A second Docker engine the tests start on the first when none is given (<see cref="DockerEngines"/>): on first use, once per run.</summary>
    public SharedNestedDockerEngine NestedEngine { get; } = new(new DockerEngineOptions().ResolvedHost);

    public async Task DisposeAsync()
    {
        await NestedEngine.DisposeAsync();
        Client?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        if (_registry is not null) await _registry.DisposeAsync();
        if (Artifactory is not null) await Artifactory.DisposeAsync();
        if (_protectedRegistry is not null) await _protectedRegistry.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class LiveService : ICollectionFixture<ServiceFixture>
{
    public const string Name = "service";
}
