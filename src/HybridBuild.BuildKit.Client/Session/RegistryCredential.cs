namespace HybridBuild.BuildKit.Client.Session;

/// <summary>Credentials for one registry host. An identity token goes into <paramref name="Secret"/> with an empty <paramref name="Username"/>.</summary>
/// <param name="Username">The user name, or empty for an identity token.</param>
/// <param name="Secret">The password, access token or identity token.</param>
public sealed record RegistryCredential(string Username, string Secret)
{
    /// <summary>Names the user only, so a logged credential never shows its secret.</summary>
    public override string ToString() => $"RegistryCredential {{ Username = {Username} }}";
}
