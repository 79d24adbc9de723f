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

    public Task<List<BuildSecret>> ListAsync(CancellationToken cancellationToken) =>
        db.Secrets.AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken);

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        if (await db.Secrets.Where(s => s.Name == name).ExecuteDeleteAsync(cancellationToken) == 0)
            throw new NotFoundException($"There is no secret '{name}'.");
    }

    private static BadRequestException Invalid(string detail, string field) => new("validation", "The secret is not valid.", detail, field);
}
