namespace HybridBuild.Core.Configuration;

/// <summary>
/// "Engine:Registries": credentials for the registries builds push to and pull from. The engines hand them to BuildKit;
/// publications use them to read the images builds pushed. No API returns them.
/// </summary>
public sealed record RegistryOptions
{
    public List<RegistryCredentialOptions> Registries { get; init; } = [];

    /// <summary>The entry for <paramref name="host"/> (case-insensitive), if any.</summary>
    public RegistryCredentialOptions? For(string host) =>
        Registries.FirstOrDefault(r => string.Equals(r.Host, host, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Credentials for one registry.</summary>
public sealed record RegistryCredentialOptions
{
    /// <summary>The registry host as BuildKit asks for it (<c>registry.example.com</c>, <c>localhost:5000</c>; Docker Hub is <c>registry-1.docker.io</c>).</summary>
    public string Host { get; init; } = "";

    public string Username { get; init; } = "";

    /// <summary>The password or token; or <see cref="PasswordFile"/>.</summary>
    public string? Password { get; init; }

    /// <summary>A file holding the password (a mounted secret), read each time it is needed.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>The password now (the file's content when one is set).</summary>
    public string ResolvePassword() => SecretSetting.Resolve(Password, PasswordFile, $"Engine:Registries ({Host}) PasswordFile") ?? "";

    public override string ToString() => $"RegistryCredentialOptions {{ Host = {Host}, Username = {Username}, Password = {SecretSetting.Describe(Password, PasswordFile)} }}";
}
