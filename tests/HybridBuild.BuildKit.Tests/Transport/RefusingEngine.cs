namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>A stand-in Docker Engine on a unix socket that answers every request with one canned HTTP/1.1 refusal.</summary>
internal sealed class RefusingEngine : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RefusingEngine(string message)
    {
        _path = Path.Combine(Path.GetTempPath(), $"engine-{Guid.NewGuid():N}.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_path));
        _listener.Listen();
        var body = $"{{\"message\":\"{message}\"}}";
        var answer = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                using var connection = await _listener.AcceptAsync(_stop.Token);
                var head = new List<byte>();
                var buffer = new byte[4096];
                while (!Encoding.ASCII.GetString([.. head]).Contains("\r\n\r\n"))
                {
                    var read = await connection.ReceiveAsync(buffer, _stop.Token);
                    if (read == 0) break;
                    head.AddRange(buffer.AsSpan(0, read));
                }
                await connection.SendAsync(answer, _stop.Token);
            }
        });
    }

    public string Address => "docker+unix://" + _path;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        File.Delete(_path);
    }
}
