namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>Serializes writes: a gRPC stream writer accepts one pending write at a time, and several workers share it.</summary>
internal sealed class PacketWriter(IAsyncStreamWriter<Packet> writer) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task WriteAsync(Packet packet, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await writer.WriteAsync(packet).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Best effort: the stream may already be broken, and the original failure is what matters.</summary>
    public async Task TrySendErrorAsync(string message)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await WriteAsync(new Packet { Type = PacketType.PacketErr, Data = Google.Protobuf.ByteString.CopyFromUtf8(message) }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException or RpcException)
        {
        }
    }

    public void Dispose() => _gate.Dispose();
}
