namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// Two real registry:2 containers: an anonymous source and a target that wants a password (htpasswd, which
/// registry:2 answers with a Basic challenge). Fails saying what is missing when Docker is not there.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public const string User = RegistryContainer.User;
    public const string Password = RegistryContainer.Password;

    private RegistryContainer? _source;
    private RegistryContainer? _target;

    /// <summary>host:port of the anonymous registry.</summary>
    public string Source => _source!.Address;

    /// <summary>host:port of the password-protected registry.</summary>
    public string Target => _target!.Address;

    public static RegistryCredentials Credentials => new(User, Password);

    public async Task InitializeAsync()
    {
        var (source, target) = (RegistryContainer.StartAsync(withPassword: false), RegistryContainer.StartAsync(withPassword: true));
        (_source, _target) = (await source, await target);
    }

    /// <summary>A raw client for a registry's API; with the password when <paramref name="authenticated"/>.</summary>
    public static HttpClient Client(string registry, bool authenticated)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://{registry}") };
        if (authenticated)
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{User}:{Password}")));
        return client;
    }

    public async Task DisposeAsync()
    {
        if (_source is not null) await _source.DisposeAsync();
        if (_target is not null) await _target.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "oci-registries";
}
