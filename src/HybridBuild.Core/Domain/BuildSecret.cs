namespace HybridBuild.Core.Domain;

/// <summary>
/// A named build secret, encrypted at rest (AES-256-GCM under the service's master key, bound to its name).
/// Write-only through the API: its value is only ever decrypted to hand it to BuildKit.
/// </summary>
public sealed class BuildSecret
{
    public string Name { get; set; } = "";
    public byte[] Ciphertext { get; set; } = [];
    /// <summary>
    /// The API keys that may mount it, by id or by name; admin keys may mount any secret. Empty: admins only.
    /// Builds a trigger starts mount the secrets the trigger lists instead (<see cref="Trigger.Secrets"/>).
    /// </summary>
    public List<string> AllowedKeys { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
