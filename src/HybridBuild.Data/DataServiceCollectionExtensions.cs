using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridBuild.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>The build database (PostgreSQL, "ConnectionStrings:Postgres").</summary>
    public static IServiceCollection AddHybridBuildData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is required (a PostgreSQL connection string).");
        services.AddDbContext<BuildDbContext>(o => o.UseNpgsql(connectionString,
            npgsql => npgsql.MigrationsHistoryTable("__migrations", BuildDbContext.Schema)));
        return services;
    }
}
