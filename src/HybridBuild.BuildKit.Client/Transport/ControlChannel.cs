using Grpc.Net.Client;

namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>Creates the connector for an address and the gRPC channel to BuildKit's Control service.</summary>
internal static class ControlChannel
{
    /// <summary>BuildKit (and containerd) accept and send messages up to 16 MiB.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    public static IDaemonConnector CreateConnector(BuildKitAddress address, BuildKitTlsOptions? tls, SessionVia sessionVia)
    {
        var dialer = new StreamDialer(address, tls);
        return address.Daemon == BuildKitDaemonKind.Docker
            ? new DockerConnector(address, dialer, sessionVia)
            : new BuildKitdConnector(address, dialer);
    }

    public static GrpcChannel Create(IDaemonConnector connector, ILoggerFactory loggerFactory) =>
        GrpcChannel.ForAddress(connector.ControlAddress, new GrpcChannelOptions
        {
            HttpHandler = connector.CreateControlHandler(),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
            LoggerFactory = loggerFactory,
        });
}
