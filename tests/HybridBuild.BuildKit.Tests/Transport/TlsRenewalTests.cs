using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>Mutual TLS certificates are files that get renewed while the service runs (a mounted secret, cert-manager).</summary>
public sealed class TlsRenewalTests
{
    [Fact]
    public async Task A_client_certificate_renewed_on_disk_is_used_by_the_next_connection_without_a_restart()
    {
        using var certificates = new TestCertificates();
        using var stranger = new TestCertificates("Somebody else's CA");
        await using var daemon = await FakeBuildKitd.StartWithTlsAsync(certificates.Server, clientAuthority: certificates.Authority);
        var directory = Directory.CreateTempSubdirectory("hybridbuild-renewal-").FullName;
        try
        {
            var certificate = Path.Combine(directory, "cert.pem");
            var key = Path.Combine(directory, "key.pem");
            File.Copy(stranger.ClientCertificatePem, certificate);
            File.Copy(stranger.ClientKeyPem, key);
            await using var client = BuildKitClient.Create(new BuildKitClientOptions
            {
                Address = daemon.Address,
                Tls = new BuildKitTlsOptions
                {
                    CaCertificatePath = certificates.AuthorityPem,
                    CertificatePath = certificate,
                    KeyPath = key,
                    ServerName = TestCertificates.ServerName,
                },
            });
            await Assert.ThrowsAnyAsync<Exception>(() => client.GetInfoAsync(CancellationToken.None));

            File.Copy(certificates.ClientCertificatePem, certificate, overwrite: true);
            File.Copy(certificates.ClientKeyPem, key, overwrite: true);
            var info = await client.GetInfoAsync(CancellationToken.None);

            Assert.Equal("fake-worker", Assert.Single(info.Workers).Id);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
