using System.Net.Security;
using HybridBuild.BuildKit.Client.Transport.Http2;

namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>
/// A Docker Engine's embedded BuildKit: Control over <c>POST /grpc</c>, the session over <c>POST /session</c>
/// or, with <see cref="SessionVia.Control"/>, over <c>Control/Session</c> on a connection of its own.
/// </summary>
internal sealed class DockerConnector(BuildKitAddress address, StreamDialer dialer, SessionVia sessionVia) : IDaemonConnector
{
    // dockerd ignores the host; the Docker Go client sends a placeholder too. Unprefixed paths work on every
    // Engine since 19.03, while a /vX.YZ prefix can be refused by newer Engines.
    private const string EngineHost = "docker";

    public BuildKitAddress Address => address;

    public Uri ControlAddress { get; } = new("http://" + EngineHost);

    public SocketsHttpHandler CreateControlHandler() => new()
    {
        ConnectCallback = async (_, cancellationToken) => await OpenGrpcAsync(cancellationToken),
        EnableMultipleHttp2Connections = true,
    };

    public async Task<Stream> OpenSessionTunnelAsync(BuildSession session, CancellationToken cancellationToken)
    {
        if (sessionVia == SessionVia.Upgrade)
        {
            var connection = await DialAsync(cancellationToken);
            return await UpgradeAsync(connection, "/session", session.Headers, cancellationToken);
        }
        var grpc = await OpenGrpcAsync(cancellationToken);
        try
        {
            return await Http2SessionCall.OpenAsync(grpc, EngineHost, dialer.UsesTls, session.Headers, cancellationToken);
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            await grpc.DisposeAsync();
            throw BuildKitdConnector.SessionRefused(address, e);
        }
        catch
        {
            await grpc.DisposeAsync();
            throw;
        }
    }

    private async Task<Stream> OpenGrpcAsync(CancellationToken cancellationToken)
    {
        var connection = await DialAsync(cancellationToken);
        return await UpgradeAsync(connection, "/grpc", [], cancellationToken);
    }

    // The refusal carries dockerd's words; which engine said them is ours to add.
    private async Task<Stream> UpgradeAsync(
        Stream connection, string path, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        try
        {
            return await HttpUpgrade.UpgradeAsync(connection, path, EngineHost, headers, cancellationToken);
        }
        catch (BuildKitConnectionException e)
        {
            throw new BuildKitConnectionException($"BuildKit at {address}: {e.Message}", e);
        }
    }

    // The Engine API is HTTP/1.1 until the upgrade, so a TLS Engine endpoint negotiates http/1.1.
    private async Task<Stream> DialAsync(CancellationToken cancellationToken) =>
        await dialer.ConnectAsync(SslApplicationProtocol.Http11, cancellationToken);
}
