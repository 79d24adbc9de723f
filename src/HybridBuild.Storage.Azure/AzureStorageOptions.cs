using HybridBuild.Core.Configuration;

namespace HybridBuild.Storage.Azure;

/// <summary>
/// "Storage:Azure": a container in Azure Blob Storage. Either ConnectionString (or ConnectionStringFile), or
/// AccountUrl with AccountKey (or AccountKeyFile) for a shared key, or AccountUrl alone for Microsoft Entra ID through
/// the usual credential chain (managed identity, workload identity, environment, Azure CLI).
/// </summary>
public sealed record AzureStorageOptions
{
    public string? ConnectionString { get; init; }
    public string? ConnectionStringFile { get; init; }

    /// <summary><c>https://{account}.blob.core.windows.net</c>.</summary>
    public string? AccountUrl { get; init; }

    public string? AccountKey { get; init; }
    public string? AccountKeyFile { get; init; }

    public string Container { get; init; } = "";

    /// <summary>Prepended to every blob name (<c>hybridbuild/</c>), so one container can hold several installations.</summary>
    public string? Prefix { get; init; }

    /// <summary>Blobs larger than this go up as blocks of this size; memory per upload is at most MaxConcurrency blocks.</summary>
    public int BlockSizeMiB { get; init; } = 16;

    public int MaxConcurrency { get; init; } = 2;

    /// <summary>Creates the container at start-up when it does not exist.</summary>
    public bool CreateContainer { get; init; }

    internal string? ResolveConnectionString() => SecretSetting.Resolve(ConnectionString, ConnectionStringFile, "Storage:Azure:ConnectionStringFile");

    internal string? ResolveAccountKey() => SecretSetting.Resolve(AccountKey, AccountKeyFile, "Storage:Azure:AccountKeyFile");

    public override string ToString() =>
        $"AzureStorageOptions {{ ConnectionString = {SecretSetting.Describe(ConnectionString, ConnectionStringFile)}, AccountUrl = {AccountUrl}, "
        + $"AccountKey = {SecretSetting.Describe(AccountKey, AccountKeyFile)}, Container = {Container}, Prefix = {Prefix}, BlockSizeMiB = {BlockSizeMiB} }}";
}
