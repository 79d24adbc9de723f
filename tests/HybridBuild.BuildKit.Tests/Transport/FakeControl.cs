using Grpc.Net.Client;
using HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>
/// A scripted Control service. Its Session does what buildkitd does with a session tunnel: it becomes the HTTP/2
/// client on it and calls the client's Health service; its Solve succeeds only once the session with the request's
/// id has answered that call.
/// </summary>
internal sealed class FakeControl : Control.ControlBase
{
    public const string MethodHeader = "x-docker-expose-session-grpc-method";

    private static readonly Method<byte[], byte[]> HealthCheck = new(
        MethodType.Unary, "grpc.health.v1.Health", "Check", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

    private readonly ConcurrentDictionary<string, TaskCompletionSource<byte[]>> _healthAnswers = new();

    /// <summary>The method header values of every session, one entry per header field received.</summary>
    public ConcurrentQueue<string[]> SessionMethodHeaders { get; } = new();

    /// <summary>Completes when a Solve for target <c>hang</c> has started (it then runs until the client gives up).</summary>
    public TaskCompletionSource HangingSolveStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when that Solve call was cancelled by the client.</summary>
    public TaskCompletionSource HangingSolveCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _openSessions;

    /// <summary>Session calls the daemon still holds open.</summary>
    public int OpenSessions => Volatile.Read(ref _openSessions);

    public override Task<InfoResponse> Info(InfoRequest request, ServerCallContext context) =>
        Task.FromResult(new InfoResponse { BuildkitVersion = new BuildkitVersion { Package = "github.com/moby/buildkit", Version = "v0.99.0-fake", Revision = "f00" } });

    public override Task<ListWorkersResponse> ListWorkers(ListWorkersRequest request, ServerCallContext context)
    {
        var worker = new WorkerRecord { ID = "fake-worker" };
        worker.Labels.Add("org.mobyproject.buildkit.worker.executor", "fake");
        worker.Platforms.Add(new WorkerPlatform { OS = "linux", Architecture = "amd64" });
        worker.Platforms.Add(new WorkerPlatform { OS = "linux", Architecture = "arm", Variant = "v7" });
        return Task.FromResult(new ListWorkersResponse { Record = { worker } });
    }

    public override async Task Session(IAsyncStreamReader<BytesMessage> requestStream, IServerStreamWriter<BytesMessage> responseStream, ServerCallContext context)
    {
        var headers = context.GetHttpContext().Request.Headers;
        SessionMethodHeaders.Enqueue(headers[MethodHeader].ToArray()!);
        var id = headers["x-docker-expose-session-uuid"].ToString();
        var answer = _healthAnswers.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _openSessions);
        using var closing = new SessionCounter(() => Interlocked.Decrement(ref _openSessions));

        await using var tunnel = new BytesMessageStream(requestStream, responseStream, context.CancellationToken);
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(tunnel) },
        });
        try
        {
            answer.TrySetResult(await channel.CreateCallInvoker().AsyncUnaryCall(HealthCheck, null, new CallOptions(), []));
            // Like the daemon: keep the session until the client closes it.
            await tunnel.Closed.WaitAsync(context.CancellationToken);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException)
        {
            answer.TrySetException(e);
        }
    }

    public override async Task<SolveResponse> Solve(SolveRequest request, ServerCallContext context)
    {
        var answer = _healthAnswers.GetOrAdd(request.Session, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        var health = await answer.Task.WaitAsync(TimeSpan.FromSeconds(20), context.CancellationToken);
        if (!health.SequenceEqual(new byte[] { 0x08, 0x01 }))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "failed to solve: the session's health check did not answer SERVING"));
        }
        if (request.FrontendAttrs.TryGetValue("target", out var hang) && hang == "hang")
        {
            HangingSolveStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                HangingSolveCancelled.TrySetResult();
                throw;
            }
        }
        if (request.FrontendAttrs.TryGetValue("target", out var target) && target == "broken")
        {
            throw new RpcException(new Status(StatusCode.Unknown, "target stage \"broken\" could not be found"));
        }
        return new SolveResponse { ExporterResponse = { ["containerimage.digest"] = "sha256:fake", ["session"] = request.Session } };
    }

    public override async Task Status(StatusRequest request, IServerStreamWriter<StatusResponse> responseStream, ServerCallContext context)
    {
        var vertex = new Vertex { Digest = "sha256:v1", Name = "[1/1] fake step", Started = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) };
        var log = new VertexLog { Vertex = "sha256:v1", Stream = 1, Msg = ByteString.CopyFromUtf8("fake output\n") };
        await responseStream.WriteAsync(new StatusResponse { Vertexes = { vertex }, Logs = { log } });
    }
}

internal sealed class SessionCounter(Action onDispose) : IDisposable
{
    public void Dispose() => onDispose();
}
