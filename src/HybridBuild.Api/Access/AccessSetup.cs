using Microsoft.AspNetCore.Authorization;

namespace HybridBuild.Api.Access;

/// <summary>API keys with scopes on every endpoint except health and the API description; admin for the dashboard.</summary>
internal static class AccessSetup
{
    public static IServiceCollection AddHybridBuildAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccessOptions>().Bind(configuration.GetSection(AccessOptions.Section))
            .Validate(o => o.ResolvedAdminKey is null or { Length: >= 32 }, "Auth:AdminKey must be at least 32 characters (use a random value).")
            .Validate(o => o.AdminKeyFile is not { Length: > 0 } file || File.Exists(file), "Auth:AdminKeyFile names a file that does not exist.")
            .ValidateOnStart();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        // every endpoint needs a key unless it is marked public (health, the API description, the webhook receiver);
        // this also covers requests that match no endpoint, so a new endpoint without a scope is closed, not open
        var authorization = services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build());
        foreach (var scope in ApiScopes.All)
            authorization.AddPolicy(scope, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));
        services.AddSingleton<ConfiguredAdminKey>();
        services.AddSingleton<ApiKeyCache>();
        services.AddHostedService<KeyRevocationListener>();
        services.AddSingleton<IAuthorizationHandler, ScopeRequirementHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        // a browser resends the dashboard's Basic credentials on any site's form post: Hangfire checks antiforgery tokens when this is registered
        services.AddAntiforgery();
        return services;
    }
}
