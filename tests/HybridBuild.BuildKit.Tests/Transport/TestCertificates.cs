using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>A throw-away CA with a server and a client certificate, and their PEM files, as buildkitd's mTLS setup uses.</summary>
internal sealed class TestCertificates : IDisposable
{
    public const string ServerName = "buildkitd.test";

    private readonly string _directory = Directory.CreateTempSubdirectory("hybridbuild-tls-").FullName;

    public TestCertificates(string authorityName = "HybridBuild test CA")
    {
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest($"CN={authorityName}", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
        Authority = authorityRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Server = Issue(ServerName, "1.3.6.1.5.5.7.3.1", 1);
        Client = Issue("hybridbuild-client", "1.3.6.1.5.5.7.3.2", 2);

        AuthorityPem = Write("ca.pem", Authority.ExportCertificatePem());
        ClientCertificatePem = Write("cert.pem", Client.ExportCertificatePem());
        ClientKeyPem = Write("key.pem", Client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public X509Certificate2 Authority { get; }
    public X509Certificate2 Server { get; }
    public X509Certificate2 Client { get; }
    public string AuthorityPem { get; }
    public string ClientCertificatePem { get; }
    public string ClientKeyPem { get; }

    public static bool IsSignedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private X509Certificate2 Issue(string name, string usage, byte serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), [serial]);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so the key is a persisted one that every TLS backend accepts.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, pem);
        return path;
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
        Client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
