using System.Security.Cryptography.X509Certificates;

namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>
/// A Docker token service on a loopback port (real Kestrel), as registry:2's <c>REGISTRY_AUTH=token</c> expects:
/// it checks Basic credentials and issues ES256 JWTs with an <c>x5c</c> header whose certificate the registry
/// trusts (its root bundle), granting the scopes asked for; anonymous callers get pull only.
/// </summary>
public sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "hybridbuild-test-registry";
    public const string Issuer = "hybridbuild-test-issuer";

    private readonly WebApplication _app;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _certificate;
    private readonly List<string> _requests = [];

    private TokenServer(WebApplication app)
    {
        _app = app;
        var request = new CertificateRequest("CN=hybridbuild test token issuer", _key, HashAlgorithmName.SHA256);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>The realm URL registries send clients to.</summary>
    public Uri Realm { get; private set; } = null!;

    /// <summary>The certificate in PEM, for the registry's <c>rootcertbundle</c>.</summary>
    public string CertificatePem => _certificate.ExportCertificatePem();

    /// <summary>Each token request as "user scopes" ("-" for anonymous).</summary>
    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) return _requests.ToList(); }
    }

    public static async Task<TokenServer> StartAsync(string user, string password)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new TokenServer(app);
        app.MapGet("/token", (HttpContext context) => server.Issue(context, user, password));
        await app.StartAsync();
        server.Realm = new Uri(app.Urls.Single().TrimEnd('/') + "/token");
        return server;
    }

    private IResult Issue(HttpContext context, string user, string password)
    {
        var scopes = context.Request.Query["scope"].Select(s => s!).ToList();
        var caller = Caller(context.Request.Headers.Authorization.ToString());
        lock (_requests) _requests.Add($"{caller ?? "-"} {string.Join(' ', scopes)}");
        if (caller is not null && caller != $"{user}:{password}")
            return Results.Json(new { details = "incorrect username or password" }, statusCode: 401);
        if (context.Request.Query["service"] != Service)
            return Results.Json(new { details = "unknown service" }, statusCode: 400);

        var access = scopes.Select(s => s.Split(':')).Where(p => p.Length == 3 && p[0] == "repository")
            .Select(p => new
            {
                type = "repository",
                name = p[1],
                actions = p[2].Split(',').Where(a => caller is not null || a == "pull").ToArray(),
            }).ToArray();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new { typ = "JWT", alg = "ES256", x5c = new[] { Convert.ToBase64String(_certificate.RawData) } };
        var claims = new
        {
            iss = Issuer, sub = caller?.Split(':')[0] ?? "", aud = Service, exp = now + 300, nbf = now - 10, iat = now,
            jti = Guid.NewGuid().ToString("N"), access,
        };
        var signingInput = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims))}";
        // JOSE's ES256 signature is r||s, which is .NET's default (IEEE P1363) format
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        return Results.Json(new { token = $"{signingInput}.{Base64Url(signature)}", expires_in = 300 });
    }

    private static string? Caller(string authorization)
    {
        if (!authorization.StartsWith("Basic ", StringComparison.Ordinal)) return null;
        return Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..]));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _certificate.Dispose();
        _key.Dispose();
    }
}
