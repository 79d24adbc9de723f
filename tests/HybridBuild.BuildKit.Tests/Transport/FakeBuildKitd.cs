using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>
/// A stand-in for a standalone buildkitd (none can run on the test machines): Kestrel serving a scripted Control
/// service over HTTP/2 on a unix socket, or over TLS on loopback TCP, so the client's buildkitd transports meet a real
/// HTTP/2 server with real TLS.
/// </summary>
internal sealed class FakeBuildKitd : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeBuildKitd(WebApplication app, FakeControl control, string address)
    {
        _app = app;
        Control = control;
        Address = address;
    }

    public FakeControl Control { get; }

    /// <summary>The address to give the client.</summary>
    public string Address { get; }

    public static Task<FakeBuildKitd> StartOnUnixSocketAsync(string socketPath) =>
        StartAsync(k => k.ListenUnixSocket(socketPath, l => l.Protocols = HttpProtocols.Http2), _ => "unix://" + socketPath);

    /// <summary>TLS on loopback; with <paramref name="clientAuthority"/>, a client certificate that authority signed is required.</summary>
    public static Task<FakeBuildKitd> StartWithTlsAsync(X509Certificate2 serverCertificate, X509Certificate2? clientAuthority) =>
        StartAsync(k =>
        {
            // No AllowAlternateSchemes: Kestrel refuses a request whose :scheme is not the transport's, which proves the
            // session call says https on TLS (grpc-go, buildkitd, does not check it, but the Go client sends https too).
            k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverCertificate,
                ClientCertificateMode = clientAuthority is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (certificate, _, _) => clientAuthority is not null && TestCertificates.IsSignedBy(certificate, clientAuthority),
            });
        });
        }, port => $"tcp://127.0.0.1:{port}");

    private static async Task<FakeBuildKitd> StartAsync(Action<KestrelServerOptions> listen, Func<int, string> address)
    {
        var control = new FakeControl();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(listen);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(control);
        var app = builder.Build();
        app.MapGrpcService<FakeControl>();
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = Uri.TryCreate(bound, UriKind.Absolute, out var uri) && !bound.StartsWith("http://unix:", StringComparison.Ordinal) ? uri.Port : 0;
        return new FakeBuildKitd(app, control, address(port));
    }

    /// <summary>Stops the daemon as a crash would: every connection is dropped at once, no call is finished.</summary>
    public async Task KillAsync() => await _app.StopAsync(new CancellationToken(canceled: true));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (Address.StartsWith("unix://", StringComparison.Ordinal))
        {
            File.Delete(Address["unix://".Length..]);
        }
    }
}
