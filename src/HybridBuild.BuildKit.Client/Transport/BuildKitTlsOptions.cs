namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>
/// TLS for a TCP address (<c>buildkitd --tlscacert --tlscert --tlskey</c>): the CA that signed the daemon's
/// certificate, and for mutual TLS the client certificate and key, all PEM files.
/// </summary>
public sealed record BuildKitTlsOptions
{
    /// <summary>PEM file with the CA certificate(s) to trust for the daemon; null = the system's trust store.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>PEM file with the client certificate (mutual TLS); requires <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>PEM file with the client certificate's private key.</summary>
    public string? KeyPath { get; init; }

    /// <summary>The name the daemon's certificate must carry; also sent as the HTTP/2 authority. Null = the address's host.</summary>
    public string? ServerName { get; init; }
}
