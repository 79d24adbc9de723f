namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Fetches a registry token from a Bearer challenge's realm (Docker token spec:
/// <c>GET realm?service=..&amp;scope=..</c>, Basic credentials when there are any, anonymous otherwise).
/// </summary>
internal static class TokenSource
{
    public static async Task<string> FetchAsync(
        OutboundHttp http, RegistryClient registry, string realm, string? service, IReadOnlyList<string> scopes,
        RegistryCredentials? credentials, string what, CancellationToken ct)
    {
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("https" or "http"))
            throw new PublishException($"{what}: registry {registry.Registry} (repository {registry.Repository}) named an unusable token realm '{Printable.Clip(realm, 100)}'.", 401, null);
        // credentials go over plain HTTP only where the registry itself is spoken to over HTTP
        if (realmUri.Scheme == "http" && credentials is not null && registry.ApiBase.Scheme == "https")
            throw new PublishException($"{what}: registry {registry.Registry} asks for credentials at a plain-HTTP realm ({realmUri.GetLeftPart(UriPartial.Path)}); refused.", 401, null);

        var query = new List<string>();
        if (service is not null) query.Add("service=" + Uri.EscapeDataString(service));
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        var builder = new UriBuilder(realmUri);
        builder.Query = string.Join('&', new[] { builder.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query));

        HttpResponseMessage response;
        try
        {
            // the realm is the registry's word: it is checked against the outbound policy like the registry itself
            response = await http.SendAsync(() =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
                if (credentials is not null)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Basic", RegistryClient.BasicValue(credentials));
                return request;
            }, $"{what}: getting a token from {realmUri.Host}", replayable: true, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new PublishException($"{what}: the token service of registry {registry.Registry} ({realmUri.Host}) could not be reached: {e.Message}", null, null, e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw await RegistryError.FromAsync(response, registry, $"{what}: getting a token from {realmUri.GetLeftPart(UriPartial.Path)}", ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: ct);
            // the spec names it "token"; OAuth2-style services answer "access_token"
            foreach (var name in new[] { "token", "access_token" })
                if (json.RootElement.TryGetProperty(name, out var token) && token.GetString() is { Length: > 0 } value)
                    return value;
            throw new PublishException($"{what}: the token service of registry {registry.Registry} answered without a token.", (int)response.StatusCode, null);
        }
    }
}
