using System.Net.Sockets;

namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>
/// The marker endpoint the private Kestrel listens on: it binds no socket, it only selects
/// <see cref="SessionTransportFactory"/>, whose connections are the session tunnels.
/// </summary>
internal sealed class SessionEndPoint : EndPoint
{
    // EndPoint's default throws; Kestrel may ask while describing the endpoint.
    public override AddressFamily AddressFamily => AddressFamily.Unspecified;

    public override string ToString() => "buildkit-session";
}
