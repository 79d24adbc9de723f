using HybridBuild.Application.Nodes;

namespace HybridBuild.Api.Endpoints;

/// <summary>API keys, for admins: create (the key is shown once), list, revoke; and, for any key, what it is itself.</summary>
internal static class KeyEndpoints
{
    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        // any valid key: a client (the web console) shows only the actions its key may take
        api.MapGet("/keys/self", Self).WithName("GetOwnKey").WithTags("Keys").RequireAuthorization()
            .WithSummary("The calling key's name and scopes (never the key)")
            .WithDescription("Answers for any valid key, whatever its scopes: its id (absent for the configured admin key), name and scopes.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        var keys = api.MapGroup("/keys").WithTags("Keys").RequireAuthorization(ApiScopes.Admin);

        keys.MapPost("/", CreateAsync).WithName("CreateKey")
            .WithSummary("Create an API key")
            .WithDescription("Scopes: builds:read (builds, logs, artifacts), builds:write (submit, cancel), publish, metrics:read (/metrics), admin (everything, and keys). The answer carries the key; it is stored only as a hash and cannot be shown again.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        keys.MapGet("/", ListAsync).WithName("ListKeys").WithSummary("List API keys (never the keys themselves)");
        keys.MapDelete("/{id:guid}", RevokeAsync).WithName("RevokeKey")
            .WithSummary("Revoke an API key; it stops working at once")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Created<CreatedKeyResponse>> CreateAsync(CreateKeyRequest? request, HttpContext http, BuildDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var name = request?.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100 || name.Any(char.IsControl))
            throw new BadRequestException("validation", "The key request is not valid.", "name is required: 1 to 100 printable characters.", "name");
        var scopes = request!.Scopes?.Distinct(StringComparer.Ordinal).ToList() ?? [];
        if (scopes.Any(s => s is null))
            throw new BadRequestException("validation", "The key request is not valid.", "scopes must not hold null.", "scopes");
        if (scopes.Count == 0)
            throw new BadRequestException("validation", "The key request is not valid.", $"scopes must name at least one of: {string.Join(", ", ApiScopes.All)}.", "scopes");
        if (scopes.FirstOrDefault(s => !ApiScopes.All.Contains(s)) is { } unknown)
            throw new BadRequestException("validation", "The key request is not valid.", $"scope '{unknown}' is not one of: {string.Join(", ", ApiScopes.All)}.", "scopes");

        var secret = ApiKeyTokens.Generate();
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(), Name = name, Hash = ApiKeyTokens.Hash(secret), Scopes = scopes,
            CreatedAt = clock.GetUtcNow(), CreatedBy = http.User.Identity?.Name,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created(ApiLinks.Key(key.Id), new CreatedKeyResponse(key.Id, key.Name, key.Scopes, key.CreatedAt, secret));
    }

    private static Ok<OwnKeyResponse> Self(HttpContext http)
    {
        var caller = http.User.ToCaller();
        var scopes = http.User.FindAll(ApiKeyAuthenticationHandler.ScopeClaim).Select(c => c.Value).ToList();
        return TypedResults.Ok(new OwnKeyResponse(caller.KeyId, caller.Name, scopes));
    }

    private static async Task<Ok<List<KeyResponse>>> ListAsync(BuildDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok((await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken)).Select(KeyResponse.From).ToList());

    private static async Task<NoContent> RevokeAsync(Guid id, BuildDbContext db, ApiKeyCache cache, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var changed = await db.ApiKeys.Where(k => k.Id == id && k.RevokedAt == null).ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, now), cancellationToken);
        if (changed == 0 && !await db.ApiKeys.AnyAsync(k => k.Id == id, cancellationToken))
            throw new NotFoundException($"There is no API key {id}.");
        // here at once; on the other nodes as the notification arrives (a node that misses it is not caching)
        cache.Evict(id);
        await NodeNotifications.NotifyAsync(db, ApiKeyCache.Channel, id.ToString(), cancellationToken);
        return TypedResults.NoContent();
    }
}
