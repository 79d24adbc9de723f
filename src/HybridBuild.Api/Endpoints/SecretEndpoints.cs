using HybridBuild.Application.Secrets;

namespace HybridBuild.Api.Endpoints;

/// <summary>Named build secrets, for admins: set (write-only, with the keys that may mount it), list (names and grants only), delete.</summary>
internal static class SecretEndpoints
{
    public static RouteGroupBuilder MapSecrets(this RouteGroupBuilder api)
    {
        var secrets = api.MapGroup("/secrets").WithTags("Secrets").RequireAuthorization(ApiScopes.Admin);
        secrets.MapPut("/{name}", SetAsync).WithName("SetSecret")
            .WithSummary("Create or replace a build secret")
            .WithDescription("The value is encrypted at rest and never returned by any endpoint. Stages name the secrets they may mount (\"secrets\": [\"name\"]); a RUN step mounts one with --mount=type=secret,id=name. "
                + "allowedKeys lists the API keys (ids or names) whose builds may mount it; admin keys always may, and without allowedKeys only they may. A PUT replaces the value and the grants together.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        secrets.MapGet("/", ListAsync).WithName("ListSecrets").WithSummary("List build secrets: names, grants and times, never values");
        secrets.MapDelete("/{name}", DeleteAsync).WithName("DeleteSecret").WithSummary("Delete a build secret")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    /// <summary>A secret's value, and the API keys (ids or names) that may mount it besides admin keys.</summary>
    public sealed record SecretValue(string? Value, List<string?>? AllowedKeys = null);

    public sealed record SecretResponse(string Name, IReadOnlyList<string> AllowedKeys, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    private static async Task<NoContent> SetAsync(string name, SecretValue? body, SecretService secrets, CancellationToken cancellationToken)
    {
        await secrets.SetAsync(name, body?.Value, body?.AllowedKeys, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<SecretResponse>>> ListAsync(SecretService secrets, CancellationToken cancellationToken) =>
        TypedResults.Ok((await secrets.ListAsync(cancellationToken)).Select(s => new SecretResponse(s.Name, s.AllowedKeys, s.CreatedAt, s.UpdatedAt)).ToList());

    private static async Task<NoContent> DeleteAsync(string name, SecretService secrets, CancellationToken cancellationToken)
    {
        await secrets.DeleteAsync(name, cancellationToken);
        return TypedResults.NoContent();
    }
}
