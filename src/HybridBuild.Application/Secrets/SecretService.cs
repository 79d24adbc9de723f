namespace HybridBuild.Application.Secrets;

/// <summary>Named build secrets: set (encrypted, write-only, with the keys that may mount it), list (names and grants only), delete.</summary>
internal sealed class SecretService(BuildDbContext db, SecretCipher cipher, TimeProvider clock)
{
    public const int MaxValueBytes = 64 * 1024;

    /// <summary>Creates or replaces the secret, its value and its grants: without <paramref name="allowedKeys"/> only admins may mount it.</summary>
    public async Task SetAsync(string name, string? value, IReadOnlyList<string?>? allowedKeys, CancellationToken cancellationToken)
    {
        if (!SpecRules.IsSecretName(name))
            throw Invalid("the name must be 1 to 64 letters, digits, '.', '_' or '-'.", "name");
        if (value is not { Length: > 0 })
            throw Invalid("value is required and must not be empty.", "value");
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        if (bytes.Length > MaxValueBytes)
            throw Invalid($"value must be at most {MaxValueBytes} bytes.", "value");
        if (SecretGrants.Check(allowedKeys, "allowedKeys") is var (field, detail)) throw Invalid(detail, field);
        List<string> granted = [.. (allowedKeys ?? []).Select(k => k!).Distinct(StringComparer.Ordinal)];
        if (!cipher.Configured)
            throw new ConflictException("secrets-not-configured", "Build secrets are not configured.", "The service has no Secrets:MasterKey, so it cannot store secrets encrypted.");
        var now = clock.GetUtcNow();
        var sealedBox = cipher.Encrypt(name, bytes);
        var existing = await db.Secrets.FirstOrDefaultAsync(s => s.Name == name, cancellationToken);
        if (existing is null) db.Secrets.Add(new BuildSecret { Name = name, Ciphertext = sealedBox, AllowedKeys = granted, CreatedAt = now, UpdatedAt = now });
        else (existing.Ciphertext, existing.AllowedKeys, existing.UpdatedAt) = (sealedBox, granted, now);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// A stage may only name secrets an admin has created (their values are never part of a request) and granted to
    /// the caller (<see cref="SecretGrants"/>). A key that may not mount a secret hears the same 403 whether or not it
    /// exists, so it cannot probe for names; admins and triggers (whose list an admin set) hear which do not exist (400).
    /// </summary>
    /// <returns>The field errors of secrets that do not exist (for callers who may know that).</returns>
    /// <exception cref="ForbiddenException">A named secret is not granted to the caller.</exception>
    public async Task<Dictionary<string, string[]>> CheckGrantsAsync(IReadOnlyList<Stage> stages, Caller caller, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var named = stages.SelectMany(s => s.Secrets).Distinct(StringComparer.Ordinal).ToList();
        if (named.Count == 0) return errors;
        var known = await db.Secrets.AsNoTracking().Where(s => named.Contains(s.Name))
            .ToDictionaryAsync(s => s.Name, s => s.AllowedKeys, StringComparer.Ordinal, cancellationToken);
        var refused = new List<(string Field, string Secret)>();
        foreach (var stage in stages)
            for (var i = 0; i < stage.Secrets.Count; i++)
            {
                var (field, secret) = ($"stages[{stage.Ordinal}].secrets[{i}]", stage.Secrets[i]);
                if (!SecretGrants.MayMount(caller, secret, known.GetValueOrDefault(secret))) refused.Add((field, secret));
                else if (!known.ContainsKey(secret))
                    errors[field] = [$"there is no build secret '{secret}' (an admin creates it with PUT /api/v1/secrets/{secret})"];
            }
        if (refused.Count > 0)
            throw new ForbiddenException(string.Join("; ", refused.Distinct().Select(r => caller.TriggerSecrets is null
                ? $"{r.Field}: the API key '{caller.Name}' may not mount the build secret '{r.Secret}' (an admin grants it by adding the key's id or name to the secret's allowedKeys)"
                : $"{r.Field}: {caller.Name} may not mount the build secret '{r.Secret}' (an admin lists it in the trigger's secrets)")), refused[0].Field);
        return errors;
    }

    public Task<List<BuildSecret>> ListAsync(CancellationToken cancellationToken) =>
        db.Secrets.AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken);

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        if (await db.Secrets.Where(s => s.Name == name).ExecuteDeleteAsync(cancellationToken) == 0)
            throw new NotFoundException($"There is no secret '{name}'.");
    }

    private static BadRequestException Invalid(string detail, string field) => new("validation", "The secret is not valid.", detail, field);
}
