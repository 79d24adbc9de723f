using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Access;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c>, or Basic with the key as the password on the Hangfire dashboard
/// only (what a browser can send there; elsewhere a browser's remembered Basic credentials must not open the API). The configured admin key is checked first; other keys are looked up by their hash.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ConfiguredAdminKey admin,
    IDbContextFactory<BuildDbContext> databases,
    ApiKeyCache cache,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";
    private static readonly TimeSpan LastUsedPrecision = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null) return AuthenticateResult.NoResult();
        var hash = ApiKeyTokens.Hash(key);
        if (admin.Hash is { } adminHash && ApiKeyTokens.SameHash(hash, adminHash))
            return Success("configured admin key", null, [ApiScopes.Admin]);

        if (cache.Find(hash) is { } cached) return Success(cached.Name, cached.Id, cached.Scopes);

        await using var db = await databases.CreateDbContextAsync(Context.RequestAborted);
        var found = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, Context.RequestAborted);
        if (found is null || found.RevokedAt is not null || !ApiKeyTokens.SameHash(found.Hash, hash))
            return AuthenticateResult.Fail("The API key is not valid, or it has been revoked.");
        var now = clock.GetUtcNow();
        // a cached key is seen here once per cache lifetime: "last used" is as precise as that
        if (found.LastUsedAt is null || now - found.LastUsedAt > LastUsedPrecision)
            await db.ApiKeys.Where(k => k.Id == found.Id).ExecuteUpdateAsync(k => k.SetProperty(x => x.LastUsedAt, now), Context.RequestAborted);
        cache.Add(hash, found.Id, found.Name, found.Scopes);
        return Success(found.Name, found.Id, found.Scopes);
    }

    private AuthenticateResult Success(string name, Guid? id, IEnumerable<string> scopes)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name) };
        if (id is { } keyId) claims.Add(new Claim(ClaimTypes.NameIdentifier, keyId.ToString()));
        claims.AddRange(scopes.Select(s => new Claim(ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private static string? ReadKey(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header) || string.IsNullOrWhiteSpace(header.Parameter))
            return null;
        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return header.Parameter.Trim();
        if (!header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) || !IsDashboard(request)) return null;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = pair.IndexOf(':');
            return colon >= 0 && colon < pair.Length - 1 ? pair[(colon + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The Hangfire dashboard: the one place that takes Basic credentials.</summary>
    public static bool IsDashboard(HttpRequest request) => request.Path.StartsWithSegments("/hangfire");

    /// <summary>Basic credentials sent anywhere but the dashboard, where they are not read.</summary>
    public static bool IsBasicOutsideDashboard(HttpRequest request) =>
        !IsDashboard(request) && AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
        && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // the dashboard is opened in a browser: Basic makes it ask for the key
        Response.Headers.WWWAuthenticate = IsDashboard(Request)
            ? "Basic realm=\"HybridBuildService\", charset=\"UTF-8\""
            : "Bearer";
        return Task.CompletedTask;
    }
}

/// <summary>The hash of the configured admin key, read once at start-up (as its setting documents), not per request.</summary>
internal sealed class ConfiguredAdminKey(IOptions<AccessOptions> access)
{
    public string? Hash { get; } = access.Value.ResolvedAdminKey is { Length: > 0 } key ? ApiKeyTokens.Hash(key) : null;
}
