using HybridBuild.BuildKit.Client.Transport;

namespace HybridBuild.BuildKit.Native;

/// <summary>How the native engine reaches BuildKit ("Engine:Native").</summary>
public sealed record NativeEngineOptions
{
    /// <summary>
    /// <c>docker</c> (the engine of Engine:Docker:Host, its embedded BuildKit), <c>docker+unix:///path</c>,
    /// <c>docker+tcp://host:port</c>, or a standalone buildkitd at <c>unix:///run/buildkit/buildkitd.sock</c> or
    /// <c>tcp://host:1234</c> (TLS when <see cref="Tls"/> is set). Empty means <c>docker</c>.
    /// </summary>
    public string? Address { get; init; }

    /// <summary>TLS or mutual TLS for a <c>tcp://</c> buildkitd.</summary>
    public BuildKitTlsOptions? Tls { get; init; }

    /// <summary>
    /// How the build session reaches a Docker engine: its <c>/session</c> upgrade (default), or BuildKit's
    /// <c>Control/Session</c> stream as a standalone buildkitd is reached.
    /// </summary>
    public SessionVia SessionVia { get; init; } = SessionVia.Upgrade;

    /// <summary>Remove an image from the Docker engine's store once it has been pushed.</summary>
    public bool RemovePushedImages { get; init; } = true;

    /// <summary>Most files and bytes a local export may write; beyond them the stage fails.</summary>
    public long MaxExportEntries { get; init; } = 100_000;

    public long MaxExportBytes { get; init; } = 20L << 30;
}

/// <summary>Credentials for a registry BuildKit pushes to or pulls from ("Engine:Registries").</summary>
public sealed record RegistryCredentialOptions
{
    /// <summary>The registry host as BuildKit asks for it (<c>registry.example.com</c>, <c>localhost:5000</c>; Docker Hub is <c>registry-1.docker.io</c>).</summary>
    public string Host { get; init; } = "";

    public string Username { get; init; } = "";

    /// <summary>The password or token; or <see cref="PasswordFile"/>.</summary>
    public string? Password { get; init; }

    /// <summary>A file holding the password (a mounted secret), read when BuildKit asks.</summary>
    public string? PasswordFile { get; init; }

    // A record prints every property; the password must not reach a log through ToString.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Host = {Host}, Username = {Username}, Password = {(Password is null ? "null" : "***")}, PasswordFile = {PasswordFile}");
        return true;
    }
}
