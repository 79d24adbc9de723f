using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HybridBuild.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>The build database (PostgreSQL, "ConnectionStrings:Postgres").</summary>
    public static IServiceCollection AddHybridBuildData(this IServiceCollection services, IConfiguration configuration)
    {
        // the factory serves work that runs beside a request's or job's own context (log writers, watchers);
        // the connection string is read when the first context is made, so configuration added by a host
        // after registration (a test host, a later source) is honoured.
        // Pooled: a new context resolves EF Core's scoped internals (query translators, the SQL generator, ...) afresh,
        // which under load cost more CPU than the queries it ran; a pooled one is reset and handed out again.
        services.AddPooledDbContextFactory<BuildDbContext>((sp, o) => o.UseNpgsql(ConnectionString(sp.GetRequiredService<IConfiguration>()),
            npgsql => npgsql.MigrationsHistoryTable("__migrations", BuildDbContext.Schema)
                // a dropped connection or a failover is retried; an explicit transaction must then run inside
                // Database.CreateExecutionStrategy().ExecuteAsync, so the whole unit is retried, not half of it
                .EnableRetryOnFailure(MaxRetries, MaxRetryDelay, errorCodesToAdd: null)), PoolSize);
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<BuildDbContext>>().CreateDbContext());
        return services;
    }

    /// <summary>Contexts kept for reuse; more may be in use at once (the extra ones are disposed, not pooled).</summary>
    public const int PoolSize = 256;

    /// <summary>Tries of a statement that failed transiently: enough for a failover or a dropped connection, short of holding a request for long.</summary>
    public const int MaxRetries = 3;
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>"ConnectionStrings:Postgres", or a start-up error that says it is missing.</summary>
    public static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("ConnectionStrings:Postgres is required (a PostgreSQL connection string).");
}
