using HybridBuild.BuildKit.Client.Session.Hosting;
using HybridBuild.BuildKit.Client.Session.Services;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridBuild.BuildKit.Tests.Session;

/// <summary>
/// The FileSend handler driven directly, for orderings a real connection cannot produce on demand: here the call is
/// reset at the very moment the daemon's FIN is read.
/// </summary>
public sealed class FileSendHandlerTests : IDisposable
{
    private readonly TempDirectory _output = new();

    public void Dispose() => _output.Dispose();

    [Fact]
    public async Task A_daemon_FIN_before_ours_fails_the_export_even_when_the_reset_follows_at_once()
    {
        var session = new BuildSession("key") { Exports = { new SessionExport.Directory(_output.Path, 10, 1024) } };
        using var reset = new CancellationTokenSource();
        // The file is listed and requested, but the daemon ends with a FIN before sending it, and resets the call.
        var requests = new ScriptedRequests(reset,
            new Packet { Type = PacketType.PacketStat, Stat = new Stat { Path = "app", Mode = 0x1A4, Size = 2 } },
            new Packet { Type = PacketType.PacketStat },
            new Packet { Type = PacketType.PacketFin });

        await Assert.ThrowsAsync<RpcException>(() =>
            new FileSendService(NullLogger<FileSendService>.Instance).DiffCopy(requests, new DiscardingResponses(), new TunnelCallContext(session, reset.Token)));

        Assert.NotNull(session.ExportFailure);
        Assert.False(File.Exists(Path.Combine(_output.Path, "app")));
    }

    /// <summary>Yields the packets in order; reading a FIN also resets the call, as the daemon does right after its FIN.</summary>
    private sealed class ScriptedRequests(CancellationTokenSource reset, params Packet[] packets) : IAsyncStreamReader<byte[]>
    {
        private int _next;

        public byte[] Current { get; private set; } = [];

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_next == packets.Length) return Task.FromResult(false);
            var packet = packets[_next++];
            Current = packet.ToByteArray();
            if (packet.Type == PacketType.PacketFin) reset.Cancel();
            return Task.FromResult(true);
        }
    }

    private sealed class DiscardingResponses : IServerStreamWriter<byte[]>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(byte[] message) => Task.CompletedTask;
    }

    /// <summary>A call on a tunnel carrying <paramref name="session"/>, found the way the services find it (through the HttpContext).</summary>
    private sealed class TunnelCallContext(BuildSession session, CancellationToken cancellationToken) : ServerCallContext
    {
        private readonly Dictionary<object, object> _userState = new() { ["__HttpContext"] = CreateHttpContext(session) };

        private static HttpContext CreateHttpContext(BuildSession session)
        {
            var context = new DefaultHttpContext();
            context.Features.Set<IConnectionItemsFeature>(new ConnectionItemsFeature(new Dictionary<object, object?> { [TunnelConnection.SessionItem] = session }));
            return context;
        }

        protected override string MethodCore => "/moby.filesync.v1.FileSend/DiffCopy";
        protected override string HostCore => "localhost";
        protected override string PeerCore => "daemon";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore { get; } = [];
        protected override CancellationToken CancellationTokenCore => cancellationToken;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore { get; } = new(null, []);
        protected override IDictionary<object, object> UserStateCore => _userState;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;

        private sealed class ConnectionItemsFeature(IDictionary<object, object?> items) : IConnectionItemsFeature
        {
            public IDictionary<object, object?> Items { get; set; } = items;
        }
    }
}
