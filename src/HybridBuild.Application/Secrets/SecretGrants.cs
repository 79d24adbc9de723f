namespace HybridBuild.Application.Secrets;

/// <summary>Which callers may mount a build secret, and what a secret's <c>allowedKeys</c> may hold.</summary>
internal static class SecretGrants
{
    public const int MaxEntries = 100;
    /// <summary>An API key's name is at most 100 characters; a key id is a GUID.</summary>
    public const int MaxEntryLength = 100;

    /// <summary>
    /// Admin keys mount any secret; a trigger's builds the secrets it lists; any other key the secrets whose
    /// allowedKeys hold its id or its name (exactly as the key was named).
    /// </summary>
    public static bool MayMount(Caller caller, string secretName, IReadOnlyList<string>? allowedKeys)
    {
        if (caller.TriggerSecrets is { } listed) return listed.Contains(secretName, StringComparer.Ordinal);
        if (caller.IsAdmin) return true;
        return allowedKeys?.Any(entry => entry == caller.Name
            || caller.KeyId is { } id && Guid.TryParse(entry, out var granted) && granted == id) == true;
    }

    /// <summary>Null when the entries are valid, else the field that is wrong and why. Unknown names are fine: a key may be created later.</summary>
    public static (string Field, string Detail)? Check(IReadOnlyList<string?>? entries, string field)
    {
        if (entries is null) return null;
        if (entries.Count > MaxEntries) return (field, $"{field} may hold at most {MaxEntries} entries.");
        for (var i = 0; i < entries.Count; i++)
            if (entries[i] is not { Length: > 0 and <= MaxEntryLength } entry || string.IsNullOrWhiteSpace(entry) || entry.Any(char.IsControl))
                return ($"{field}[{i}]", $"{field}[{i}] must be an API key id or name: 1 to {MaxEntryLength} characters, not blank, without control characters.");
        return null;
    }
}
