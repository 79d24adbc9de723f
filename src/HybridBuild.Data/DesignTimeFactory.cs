using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace HybridBuild.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<BuildDbContext>
{
    public BuildDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<BuildDbContext>()
            .UseNpgsql("Host=localhost;Database=hybridbuild", o => o.MigrationsHistoryTable("__migrations", BuildDbContext.Schema))
            .Options);
}
