using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>Opens one raw connection to an address: a unix socket, TCP, or TCP wrapped in TLS.</summary>
internal sealed class StreamDialer
{
    private readonly BuildKitAddress _address;
    private readonly BuildKitTlsOptions? _tls;
    private readonly Lock _materialLock = new();
    private TlsMaterial? _material;
    private (DateTime Ca, DateTime Certificate, DateTime Key) _materialStamps;

    public StreamDialer(BuildKitAddress address, BuildKitTlsOptions? tls)
    {
        if (tls is not null && address.IsUnixSocket)
        {
            throw new ArgumentException($"TLS options were given for the unix socket address '{address}'; TLS needs a TCP address.", nameof(tls));
        }
        if (tls is not null && (tls.CertificatePath is null) != (tls.KeyPath is null))
        {
            throw new ArgumentException("A TLS client certificate needs both CertificatePath and KeyPath.", nameof(tls));
        }
        _address = address;
        _tls = tls;
    }

    public bool UsesTls => _tls is not null;

    /// <summary>The TLS server name (and HTTP/2 authority host): the configured name, else the address's host.</summary>
    public string ServerName => _tls?.ServerName ?? _address.Host ?? "localhost";

    /// <summary>Opens a plain connection; callers that want TLS use <see cref="SecureAsync"/> on it, or <see cref="ConnectAsync"/>.</summary>
    public async ValueTask<Stream> ConnectPlainAsync(CancellationToken cancellationToken)
    {
        Socket socket;
        EndPoint endPoint;
        if (_address.SocketPath is { } path)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endPoint = new UnixDomainSocketEndPoint(path);
        }
        else
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            EnableKeepAlive(socket);
            endPoint = new DnsEndPoint(_address.Host!, _address.Port);
        }
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            // .NET reports a missing socket file as "Cannot assign requested address", which hides the obvious cause.
            var reason = _address.SocketPath is { } missing && !File.Exists(missing) ? $"there is no socket at {missing}" : e.Message;
            throw new BuildKitConnectionException($"Cannot connect to BuildKit at {_address}: {reason}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A daemon whose host vanishes without a reset (power loss, a dropped network) would leave a Solve waiting forever on
    /// a half-open connection; TCP keepalive notices it in about a minute, as Go's dialer (buildx, buildctl) does by default.
    /// </summary>
    internal static readonly TimeSpan KeepAliveIdle = TimeSpan.FromSeconds(30);

    private static void EnableKeepAlive(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)KeepAliveIdle.TotalSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
    }

    /// <summary>Opens a connection, with TLS negotiating <paramref name="applicationProtocol"/> when TLS is configured.</summary>
    public async ValueTask<Stream> ConnectAsync(SslApplicationProtocol applicationProtocol, CancellationToken cancellationToken)
    {
        var plain = await ConnectPlainAsync(cancellationToken);
        return _tls is null ? plain : await SecureAsync(plain, applicationProtocol, cancellationToken);
    }

    private async ValueTask<Stream> SecureAsync(Stream plain, SslApplicationProtocol applicationProtocol, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(plain, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(SslOptions(applicationProtocol), cancellationToken);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync();
            throw new BuildKitConnectionException($"TLS with BuildKit at {_address} failed: {e.Message}", e);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The client side of TLS as the options describe it; also used by the gRPC channel's own handshake, whose options
    /// are fixed when the channel is made. So the files are read at each handshake (when they changed): certificates
    /// renewed on disk are used by the next connection, and a file missing now fails that connection, not the client.
    /// </summary>
    public SslClientAuthenticationOptions SslOptions(SslApplicationProtocol applicationProtocol) => new()
    {
        TargetHost = ServerName,
        ApplicationProtocols = [applicationProtocol],
        LocalCertificateSelectionCallback = _tls!.CertificatePath is null ? null : (_, _, _, _, _) => Material().ClientCertificate!,
        RemoteCertificateValidationCallback = (sender, certificate, chain, errors) => Material().Validate(sender, certificate, chain, errors),
    };

    private TlsMaterial Material()
    {
        var tls = _tls!;
        var stamps = (Stamp(tls.CaCertificatePath), Stamp(tls.CertificatePath), Stamp(tls.KeyPath));
        lock (_materialLock)
        {
            if (_material is null || stamps != _materialStamps)
            {
                _material = TlsMaterial.Load(tls);
                _materialStamps = stamps;
            }
            return _material;
        }
    }

    // Follows symbolic links, so a Kubernetes secret swapped through its ..data link counts as changed.
    private static DateTime Stamp(string? path) => path is null ? default : File.GetLastWriteTimeUtc(path);

    private sealed record TlsMaterial(X509Certificate2Collection? Authorities, X509Certificate2? ClientCertificate)
    {
        public static TlsMaterial Load(BuildKitTlsOptions tls)
        {
            X509Certificate2Collection? authorities = null;
            if (tls.CaCertificatePath is { } caPath)
            {
                authorities = [];
                authorities.ImportFromPemFile(caPath);
            }
            var client = tls.CertificatePath is { } certPath ? X509Certificate2.CreateFromPemFile(certPath, tls.KeyPath) : null;
            return new TlsMaterial(authorities, client);
        }

        /// <summary>With a CA file, only that CA is trusted (as buildctl does); otherwise the system's verdict stands.</summary>
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (Authorities is null || certificate is null)
            {
                return errors == SslPolicyErrors.None;
            }
            if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            {
                return false;
            }
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(Authorities);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
            {
                foreach (var element in chain.ChainElements)
                {
                    custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
            return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        }
    }
}
