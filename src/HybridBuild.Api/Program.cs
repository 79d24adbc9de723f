using HybridBuild.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Host.UseDefaultServiceProvider(o => o.ValidateOnBuild = o.ValidateScopes = true);
builder.Services.AddHybridBuildService(builder.Configuration);

var app = builder.Build();
await app.MigrateDatabaseAsync();
app.UseHybridBuildService();
await app.RunAsync();

/// <summary>The entry point, visible to the end-to-end tests' host.</summary>
public partial class Program;
