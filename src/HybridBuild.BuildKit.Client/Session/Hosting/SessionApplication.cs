using HybridBuild.BuildKit.Client.Session.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HybridBuild.BuildKit.Client.Session.Hosting;

/// <summary>Builds the private web application that serves the session services over <see cref="SessionTransportFactory"/>.</summary>
internal static class SessionApplication
{
    private const int MaxMessageSize = 16 * 1024 * 1024;

    public static WebApplication Build(SessionTransportFactory transport, ILoggerFactory loggerFactory)
    {
        // The empty builder reads no configuration (no appsettings, no ASPNETCORE_* or Kestrel__* variables), so the
        // embedding application's settings can never add a listener or change limits here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(SessionApplication).Assembly.GetName().Name });

        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
        // Tunnels end abruptly by design (the daemon drops them, cancelled solves abort them): framework chatter about
        // that is noise. Our own categories pass, for the owner's filters to decide.
        builder.Logging.AddFilter((category, level) =>
            level >= LogLevel.Warning || !(category?.StartsWith("Microsoft.", StringComparison.Ordinal) == true || category?.StartsWith("Grpc.", StringComparison.Ordinal) == true));

        builder.Services.AddSingleton<IHostLifetime, PrivateHostLifetime>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(transport);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(ConfigureKestrel);
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = MaxMessageSize;
            options.MaxSendMessageSize = MaxMessageSize;
        });

        var app = builder.Build();
        app.MapGrpcService<HealthService>();
        app.MapGrpcService<FileSyncService>();
        app.MapGrpcService<FileSendService>();
        app.MapGrpcService<AuthService>();
        app.MapGrpcService<SecretsService>();
        return app;
    }

    private static void ConfigureKestrel(KestrelServerOptions options)
    {
        options.AddServerHeader = false;
        // Transfers are paced by the daemon and by the disk, with back-pressure; rate limits would kill slow exports.
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
        // A session lives as long as its tunnel, idle or not. Not InfiniteTimeSpan: Kestrel then closes an idle HTTP/2
        // connection at the next heartbeat, about a second later (a session test catches that).
        options.Limits.KeepAliveTimeout = TimeSpan.FromDays(1);
        options.Limits.Http2.MaxStreamsPerConnection = 256;
        // exports stream hundreds of MiB to us: windows well above Kestrel's defaults (1 MiB / 768 KiB) keep the
        // daemon from waiting on window updates
        options.Limits.Http2.InitialConnectionWindowSize = 8 << 20;
        options.Limits.Http2.InitialStreamWindowSize = 4 << 20;
        // FileSync metadata repeats one header per pattern and follow path: a large .dockerignore means many fields.
        options.Limits.MaxRequestHeaderCount = 10_000;
        // 1 MiB: Kestrel requires it not to exceed MaxRequestBufferSize (1 MiB by default).
        options.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
        options.Limits.Http2.MaxRequestHeaderFieldSize = 1024 * 1024;
        options.Listen(new SessionEndPoint(), listen => listen.Protocols = HttpProtocols.Http2);
    }
}
