using HybridBuild.Core.Configuration;

namespace HybridBuild.Application.Secrets;

/// <summary>"Secrets": the master key that encrypts build secrets at rest (base64 of 32 random bytes).</summary>
public sealed record SecretOptions
{
    public const string Section = "Secrets";

    public string? MasterKey { get; init; }

    /// <summary>A file holding the master key (a mounted secret); read at start-up.</summary>
    public string? MasterKeyFile { get; init; }

    public string? ResolvedMasterKey => SecretSetting.Resolve(MasterKey, MasterKeyFile, "Secrets:MasterKeyFile")?.Trim();

    public override string ToString() => $"SecretOptions {{ MasterKey = {SecretSetting.Describe(MasterKey, MasterKeyFile)} }}";
}
