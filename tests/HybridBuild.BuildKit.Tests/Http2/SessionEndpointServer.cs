using System.Buffers.Binary;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HybridBuild.BuildKit.Tests.Http2;

/// <summary>
/// A real Kestrel server speaking h2c with prior knowledge, with one handler at the Control/Session path. The
/// handlers decode and encode messages with Google.Protobuf (BytesValue has the same wire shape as BytesMessage),
/// so the client's hand-written encoding is checked against an independent implementation.
/// </summary>
internal sealed class SessionEndpointServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SessionEndpointServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SessionEndpointServer> StartAsync(RequestDelegate handler, Action<KestrelServerOptions>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            configure?.Invoke(options);
        });
        WebApplication app = builder.Build();
        app.MapPost(SessionRequestHead.Path, handler);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SessionEndpointServer(app, new Uri(address).Port);
    }

    public async Task<Stream> OpenTunnelAsync(
        IEnumerable<KeyValuePair<string, string>>? headers = null, int receiveWindow = Http2SessionCall.DefaultReceiveWindow,
        bool secure = false, CancellationToken ct = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, Port, ct);
        var connection = new NetworkStream(socket, ownsSocket: true);
        return await Http2SessionCall.OpenAsync(connection, "localhost", secure, headers ?? [], receiveWindow, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Echoes every received payload back, wrapped between unknown fields the client must skip.</summary>
    public static async Task EchoAsync(HttpContext context)
    {
        context.Response.ContentType = "application/grpc";
        await context.Response.StartAsync(context.RequestAborted);
        while (await ReadPayloadAsync(context.Request.Body, context.RequestAborted) is { } payload)
        {
            await WriteMessageAsync(context.Response.Body, MessageWithUnknownFields(payload), context.RequestAborted);
        }
        context.Response.AppendTrailer("grpc-status", "0");
    }

    /// <summary>The next message's payload, or null at the end of the request body.</summary>
    public static async Task<byte[]?> ReadPayloadAsync(Stream body, CancellationToken ct)
    {
        byte[] prefix = new byte[5];
        int read = await body.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, ct);
        if (read == 0)
        {
            return null;
        }
        Assert.Equal(5, read);
        Assert.Equal(0, prefix[0]);
        byte[] message = new byte[BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1))];
        await body.ReadExactlyAsync(message, ct);
        return BytesValue.Parser.ParseFrom(message).Value.ToByteArray();
    }

    public static async Task WriteMessageAsync(Stream body, byte[] message, CancellationToken ct)
    {
        byte[] prefix = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), (uint)message.Length);
        await body.WriteAsync(prefix, ct);
        await body.WriteAsync(message, ct);
        await body.FlushAsync(ct);
    }

    public static byte[] Message(byte[] payload) => new BytesValue { Value = ByteString.CopyFrom(payload) }.ToByteArray();

    private static byte[] MessageWithUnknownFields(byte[] payload)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(2, WireFormat.WireType.Varint);
        output.WriteUInt64(300);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString("skip me");
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(payload));
        output.WriteTag(4, WireFormat.WireType.Fixed32);
        output.WriteFixed32(7);
        output.WriteTag(5, WireFormat.WireType.Fixed64);
        output.WriteFixed64(9);
        output.Flush();
        return buffer.ToArray();
    }
}
