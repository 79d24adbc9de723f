using HybridBuild.Core.Configuration;

namespace HybridBuild.Api.Access;

/// <summary>"Auth": the first admin key, from configuration (environment, a mounted file), never from the database.</summary>
public sealed record AccessOptions
{
    public const string Section = "Auth";

    /// <summary>An admin key (at least 32 characters). Use it to create the keys people and CI use, then keep it locked away.</summary>
    public string? AdminKey { get; init; }

    /// <summary>A file holding the admin key (a mounted secret); read at start-up.</summary>
    public string? AdminKeyFile { get; init; }

    public string? ResolvedAdminKey => SecretSetting.Resolve(AdminKey, AdminKeyFile, "Auth:AdminKeyFile")?.Trim();

    public override string ToString() => $"AccessOptions {{ AdminKey = {SecretSetting.Describe(AdminKey, AdminKeyFile)} }}";
}
