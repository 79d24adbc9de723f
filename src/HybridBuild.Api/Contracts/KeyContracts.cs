namespace HybridBuild.Api.Contracts;

/// <summary>A new API key: a name for people, and what it may do (builds:read, builds:write, publish, metrics:read, admin).</summary>
public sealed record CreateKeyRequest
{
    public string? Name { get; init; }
    public List<string>? Scopes { get; init; }
}

/// <summary>An API key as listed: never the key, never its hash.</summary>
public sealed record KeyResponse(Guid Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, string? CreatedBy,
    DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    public static KeyResponse From(ApiKey key) => new(key.Id, key.Name, key.Scopes, key.CreatedAt, key.CreatedBy, key.RevokedAt, key.LastUsedAt);
}

/// <summary>A key just created: the only answer that carries the key itself. Store it now; it cannot be shown again.</summary>
public sealed record CreatedKeyResponse(Guid Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, string Key);

/// <summary>The calling key as it sees itself: what a client needs to offer only what the key may do.</summary>
public sealed record OwnKeyResponse(Guid? Id, string Name, IReadOnlyList<string> Scopes);
