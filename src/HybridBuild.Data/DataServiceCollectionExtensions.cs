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
        // after registration (a test host, a later source) is honoured
        services.AddDbContextFactory<BuildDbContext>((sp, o) => o.UseNpgsql(ConnectionString(sp.GetRequiredService<IConfiguration>()),
            npgsql => npgsql.MigrationsHistoryTable("__migrations", BuildDbContext.Schema)));
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<BuildDbContext>>().CreateDbContext());
        return services;
    }

    /// <summary>"ConnectionStrings:Postgres", or a start-up error that says it is missing.</summary>
    public static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("ConnectionStrings:Postgres is required (a PostgreSQL connection string).");
}
