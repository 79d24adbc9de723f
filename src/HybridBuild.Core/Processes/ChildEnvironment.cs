namespace HybridBuild.Core.Processes;

/// <summary>
/// Which of the service's environment variables a child process (git, docker buildx) inherits. Children run what
/// a build's repository and Dockerfile ask for, so they must not see the service's own secrets: the admin key,
/// the secrets master key, the database connection, publishing and registry credentials. Only what git and the
/// Docker CLI need is passed on (an allow-list, so a setting added later stays behind by default), and even
/// that not when its name says it is a credential.
/// </summary>
internal static class ChildEnvironment
{
    private static readonly string[] KeptNames =
    [
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "SSH_AUTH_SOCK",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    ];

    private static readonly string[] KeptPrefixes = ["LC_", "DOCKER_", "BUILDX_", "BUILDKIT_", "GIT_", "SSL_CERT_", "XDG_"];

    // configuration sections holding secrets (ASP.NET Core reads 'Section__Key' and 'Section:Key' alike), and our own prefix
    private static readonly string[] SecretPrefixes = ["Auth", "Secrets", "ConnectionStrings", "Publishing", "Engine__Registries", "HYBRIDBUILD_"];

    private static readonly string[] SecretWords = ["PASSWORD", "TOKEN", "SECRET", "APIKEY", "API_KEY"];

    /// <summary>True when a child may inherit the variable <paramref name="name"/>.</summary>
    public static bool Passes(string name) => IsNeeded(name) && !LooksSecret(name);

    /// <summary>Removes from <paramref name="environment"/> (a copy of the service's) what a child must not inherit.</summary>
    public static void Scrub(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.Where(name => !Passes(name)).ToList())
            environment.Remove(name);
    }

    private static bool IsNeeded(string name) =>
        KeptNames.Contains(name, StringComparer.Ordinal) || KeptPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    private static bool LooksSecret(string name)
    {
        var key = name.Replace(":", "__", StringComparison.Ordinal);
        return SecretPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase))
            || SecretWords.Any(w => key.Contains(w, StringComparison.OrdinalIgnoreCase));
    }
}
