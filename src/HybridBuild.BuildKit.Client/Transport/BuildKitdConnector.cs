using System.Net.Security;
using HybridBuild.BuildKit.Client.Transport.Http2;

namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>
/// A standalone buildkitd: gRPC with prior knowledge on a unix socket or TCP, TLS (ALPN h2) when configured.
/// The session is a <c>Control/Session</c> stream on a connection of its own, written by our HTTP/2 client so
/// that each advertised method travels as a header field of its own.
/// </summary>
internal sealed class BuildKitdConnector : IDaemonConnector
{
    private readonly StreamDialer _dialer;
    private readonly string _authority;

    public BuildKitdConnector(BuildKitAddress address, StreamDialer dialer)
    {
        Address = address;
        _dialer = dialer;
        // For a unix socket any authority works; over TCP the daemon sees the host (or the TLS server name).
        // An IPv6 literal goes in brackets, or host and port cannot be told apart.
        var host = dialer.ServerName.Contains(':') ? $"[{dialer.ServerName}]" : dialer.ServerName;
        _authority = address.IsUnixSocket ? "localhost" : $"{host}:{address.Port}";
        ControlAddress = new Uri((dialer.UsesTls ? "https://" : "http://") + _authority);
    }

    public BuildKitAddress Address { get; }

    public Uri ControlAddress { get; }

    public SocketsHttpHandler CreateControlHandler()
    {
        var handler = new SocketsHttpHandler
        {
            // The callback ignores the URI's host: the address says where the daemon is; the URI only names it.
            ConnectCallback = async (_, cancellationToken) => await _dialer.ConnectPlainAsync(cancellationToken),
            EnableMultipleHttp2Connections = true,
        };
        if (_dialer.UsesTls)
        {
            handler.SslOptions = _dialer.SslOptions(SslApplicationProtocol.Http2);
        }
        return handler;
    }

    /// <summary>The daemon dropped or refused the connection of a Control/Session call before it began.</summary>
    internal static BuildKitConnectionException SessionRefused(BuildKitAddress address, IOException e) =>
        new($"BuildKit at {address} did not accept the session call: {e.Message}", e);

    public async Task<Stream> OpenSessionTunnelAsync(BuildSession session, CancellationToken cancellationToken)
    {
        var connection = await _dialer.ConnectAsync(SslApplicationProtocol.Http2, cancellationToken);
        try
        {
            return await Http2SessionCall.OpenAsync(connection, _authority, _dialer.UsesTls, session.Headers, cancellationToken);
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            throw SessionRefused(Address, e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
