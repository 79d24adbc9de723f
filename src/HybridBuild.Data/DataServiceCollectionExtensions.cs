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
        var connectionString = configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is required (a PostgreSQL connection string).");
        // the factory serves work that runs beside a request's or job's own context (log writers, watchers)
        services.AddDbContextFactory<BuildDbContext>(o => o.UseNpgsql(connectionString,
            npgsql => npgsql.MigrationsHistoryTable("__migrations", BuildDbContext.Schema)));
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<BuildDbContext>>().CreateDbContext());
        return services;
    }
}
