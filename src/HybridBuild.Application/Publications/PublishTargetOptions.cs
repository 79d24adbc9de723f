using HybridBuild.Core.Configuration;

namespace HybridBuild.Application.Publications;

/// <summary>One named target under "Publishing:Targets:{name}". Credentials come from here (or files); no API returns them.</summary>
public sealed class PublishTargetOptions
{
    public string Type { get; init; } = "artifactory";
    public string? Url { get; init; }
    public string? Repository { get; init; }
    public string? Token { get; init; }
    public string? TokenFile { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    public string? PasswordFile { get; init; }

    public override string ToString() => $"{Type} {Url} {Repository}";

    /// <summary>An OCI registry target: image stages are copied there by digest.</summary>
    public bool IsOci => Type.Equals("oci", StringComparison.OrdinalIgnoreCase);

    /// <summary>The target with its credentials read now (files may be rotated while the service runs).</summary>
    public PublishTarget Resolve(string name)
    {
        var token = SecretSetting.Resolve(Token, TokenFile, $"Publishing:Targets:{name}:TokenFile")?.Trim();
        var password = SecretSetting.Resolve(Password, PasswordFile, $"Publishing:Targets:{name}:PasswordFile");
        var credentials = !string.IsNullOrEmpty(token) ? PublishCredentials.Token(token)
            : !string.IsNullOrEmpty(Username) ? PublishCredentials.Basic(Username, password ?? "")
            : null;
        return new PublishTarget(name, Type, new Uri(Url!), Repository ?? "", credentials);
    }
}

/// <summary>"Publishing:Targets": the targets requests may name.</summary>
public sealed class PublishingOptions
{
    public const string Section = "Publishing";

    public Dictionary<string, PublishTargetOptions> Targets { get; init; } = new(StringComparer.Ordinal);
}
