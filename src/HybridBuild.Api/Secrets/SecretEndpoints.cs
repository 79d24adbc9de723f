using HybridBuild.Core.Domain;
using HybridBuild.Core.Errors;
using HybridBuild.Core.Specs;
using HybridBuild.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace HybridBuild.Api.Secrets;

/// <summary>Named build secrets, for admins: set (write-only), list (names only), delete.</summary>
internal static class SecretEndpoints
{
    public const int MaxValueBytes = 64 * 1024;

    public static RouteGroupBuilder MapSecrets(this RouteGroupBuilder api)
    {
        var secrets = api.MapGroup("/secrets").WithTags("Secrets").RequireAuthorization(ApiScopes.Admin);
        secrets.MapPut("/{name}", SetAsync).WithName("SetSecret")
            .WithSummary("Create or replace a build secret")
            .WithDescription("The value is encrypted at rest and never returned by any endpoint. Stages name the secrets they may mount (\"secrets\": [\"name\"]); a RUN step mounts one with --mount=type=secret,id=name.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        secrets.MapGet("/", ListAsync).WithName("ListSecrets").WithSummary("List build secrets: names and times, never values");
        secrets.MapDelete("/{name}", DeleteAsync).WithName("DeleteSecret").WithSummary("Delete a build secret")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public sealed record SecretValue(string? Value);

    public sealed record SecretResponse(string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    private static async Task<NoContent> SetAsync(string name, SecretValue? body, SecretCipher cipher, BuildDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!SpecRules.IsSecretName(name))
            throw new BadRequestException("validation", "The secret is not valid.", "the name must be 1 to 64 letters, digits, '.', '_' or '-'.", "name");
        if (body?.Value is not { Length: > 0 } value)
            throw new BadRequestException("validation", "The secret is not valid.", "value is required and must not be empty.", "value");
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        if (bytes.Length > MaxValueBytes)
            throw new BadRequestException("validation", "The secret is not valid.", $"value must be at most {MaxValueBytes} bytes.", "value");
        if (!cipher.Configured)
            throw new ConflictException("secrets-not-configured", "Build secrets are not configured.", "The service has no Secrets:MasterKey, so it cannot store secrets encrypted.");
        var now = clock.GetUtcNow();
        var sealedBox = cipher.Encrypt(name, bytes);
        var existing = await db.Secrets.FirstOrDefaultAsync(s => s.Name == name, cancellationToken);
        if (existing is null) db.Secrets.Add(new BuildSecret { Name = name, Ciphertext = sealedBox, CreatedAt = now, UpdatedAt = now });
        else (existing.Ciphertext, existing.UpdatedAt) = (sealedBox, now);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<SecretResponse>>> ListAsync(BuildDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.Secrets.AsNoTracking().OrderBy(s => s.Name)
            .Select(s => new SecretResponse(s.Name, s.CreatedAt, s.UpdatedAt)).ToListAsync(cancellationToken));

    private static async Task<NoContent> DeleteAsync(string name, BuildDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Secrets.Where(s => s.Name == name).ExecuteDeleteAsync(cancellationToken) == 0)
            throw new NotFoundException($"There is no secret '{name}'.");
        return TypedResults.NoContent();
    }
}
