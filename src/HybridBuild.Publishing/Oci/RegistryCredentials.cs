namespace HybridBuild.Publishing.Oci;

/// <summary>
/// A username and password (or access token used as one) for a registry. A class rather than a record so no
/// generated member prints or compares the password; <see cref="ToString"/> names only the user.
/// </summary>
public sealed class RegistryCredentials
{
    public RegistryCredentials(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        Username = username;
        Password = password;
    }

    public string Username { get; }

    public string Password { get; }

    public override string ToString() => $"RegistryCredentials {{ Username = {Username} }}";
}
