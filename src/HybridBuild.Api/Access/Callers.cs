using System.Security.Claims;
using HybridBuild.Application.Secrets;

namespace HybridBuild.Api.Access;

/// <summary>The principal <see cref="ApiKeyAuthenticationHandler"/> made, as the application core sees a caller.</summary>
internal static class Callers
{
    public static Caller ToCaller(this ClaimsPrincipal user) => new(
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null,
        user.FindFirstValue(ClaimTypes.Name) ?? "",
        user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.Admin));
}
