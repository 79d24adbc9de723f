using HybridBuild.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace HybridBuild.Api.Access;

/// <summary>An endpoint needs this scope; an admin key has every scope.</summary>
internal sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

internal sealed class ScopeRequirementHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, requirement.Scope)
            || context.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.Admin))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>401 and 403 as RFC 9457 problems that say what is missing: a key, or the scope the endpoint needs.</summary>
internal sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await _default.HandleAsync(next, context, policy, result);
            return;
        }
        var scope = policy.Requirements.OfType<ScopeRequirement>().Select(r => r.Scope).FirstOrDefault();
        ProblemDetails problem;
        if (result.Challenged)
        {
            await context.ChallengeAsync(ApiKeyAuthenticationHandler.SchemeName);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            problem = new ProblemDetails
            {
                Type = ProblemExceptionHandler.TypePrefix + "unauthorized", Status = 401, Title = "An API key is required.",
                Detail = context.Request.Headers.Authorization.Count == 0
                    ? "Send an API key as 'Authorization: Bearer <key>'."
                    : ApiKeyAuthenticationHandler.IsBasicOutsideDashboard(context.Request)
                        ? "Basic credentials are accepted by the Hangfire dashboard (/hangfire) only; send the API key as 'Authorization: Bearer <key>'."
                        : "The API key is not valid, or it has been revoked.",
            };
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            problem = new ProblemDetails
            {
                Type = ProblemExceptionHandler.TypePrefix + "forbidden", Status = 403, Title = "The API key may not do this.",
                Detail = $"This needs a key with the '{scope}' scope (or 'admin').",
            };
            problem.Extensions["scope"] = scope;
        }
        problem.Instance = context.Request.Path;
        await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}
