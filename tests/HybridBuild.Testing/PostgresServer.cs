using Npgsql;
using Testcontainers.PostgreSql;

namespace HybridBuild.Testing;

/// <summary>
/// The PostgreSQL server of a test run: the one HYBRIDBUILD_TEST_POSTGRES names (a server connection string), else a
/// postgres:17 container started here, or a failure that says what is missing. Each test takes a new database on it.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly PostgreSqlContainer? _container;

    private PostgresServer(string connectionString, PostgreSqlContainer? container)
    {
        ConnectionString = connectionString;
        _container = container;
    }

    /// <summary>Connects to the server itself (its default database).</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("HYBRIDBUILD_TEST_POSTGRES") is { Length: > 0 } given) return new PostgresServer(given, null);
        var container = new PostgreSqlBuilder("postgres:17").Build();
        try
        {
            await container.StartAsync();
        }
        catch (Exception e)
        {
            await container.DisposeAsync();
            throw new InvalidOperationException(
                "These tests need PostgreSQL: a Docker engine with the postgres:17 image (set TESTCONTAINERS_RYUK_DISABLED=true where Ryuk "
                + $"cannot be pulled), or HYBRIDBUILD_TEST_POSTGRES set to a server connection string: {e.Message}", e);
        }
        return new PostgresServer(container.GetConnectionString(), container);
    }

    /// <summary>A new, empty database, so tests and the nodes they start never see each other's rows; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "hybridbuild_test")
    {
        var database = $"{prefix}_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = database }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}
