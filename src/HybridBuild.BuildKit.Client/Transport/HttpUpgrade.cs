using System.Text.Json;

namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>
/// The Docker Engine API's hijacked upgrades: <c>POST /grpc</c> (Control over HTTP/2) and <c>POST /session</c>
/// (the daemon becomes the HTTP/2 client). Written by hand because the session needs one header line per
/// advertised method, and because the bytes after the 101 head must reach the HTTP/2 layer intact.
/// </summary>
internal static class HttpUpgrade
{
    private const int MaxHeadBytes = 64 * 1024;
    private const int MaxErrorBodyBytes = 64 * 1024;
    private static readonly TimeSpan ErrorBodyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends the upgrade request on <paramref name="connection"/> and returns the upgraded stream, which starts
    /// with whatever the daemon sent after its 101 head. The connection is disposed when the upgrade fails.
    /// </summary>
    /// <exception cref="BuildKitConnectionException">The daemon refused the upgrade; the message carries its own words.</exception>
    public static async Task<Stream> UpgradeAsync(
        Stream connection, string path, string host, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        try
        {
            await connection.WriteAsync(BuildRequest(path, host, headers), cancellationToken);
            await connection.FlushAsync(cancellationToken);
            return await ReadAnswerAsync(connection, path, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    internal static byte[] BuildRequest(string path, string host, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var request = new StringBuilder()
            .Append("POST ").Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host).Append("\r\n")
            .Append("Connection: Upgrade\r\n")
            .Append("Upgrade: h2c\r\n")
            .Append("Content-Length: 0\r\n");
        foreach (var (name, value) in headers)
        {
            // A CR or LF would let a value start a header (or a request) of its own.
            if (name.Length == 0 || name.AsSpan().IndexOfAny(":\r\n ") >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new ArgumentException($"Header '{name}' cannot be sent on an HTTP/1.1 upgrade request.", nameof(headers));
            }
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(request.Append("\r\n").ToString());
    }

    private static async Task<Stream> ReadAnswerAsync(Stream connection, string path, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var filled = 0;
        UpgradeResponseHead? head;
        int headLength;
        while (!TryParse(buffer.AsSpan(0, filled), path, out head, out headLength))
        {
            if (filled == buffer.Length)
            {
                if (buffer.Length >= MaxHeadBytes)
                {
                    throw new BuildKitConnectionException($"The daemon's answer to POST {path} has a head over {MaxHeadBytes} bytes.");
                }
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = await connection.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                throw new BuildKitConnectionException($"The daemon closed the connection before answering POST {path}.");
            }
            filled += read;
        }
        var rest = buffer.AsMemory(headLength, filled - headLength);
        if (head!.StatusCode == 101)
        {
            return rest.IsEmpty ? connection : new PrefixedStream(connection, rest.ToArray());
        }
        var body = await ReadErrorBodyAsync(connection, head, rest, cancellationToken);
        var reason = head.Reason.Length > 0 ? $"{head.StatusCode} {head.Reason}" : head.StatusCode.ToString();
        throw new BuildKitConnectionException(
            body.Length > 0 ? $"The daemon refused POST {path} ({reason}): {body}" : $"The daemon refused POST {path} ({reason}).");
    }

    private static bool TryParse(ReadOnlySpan<byte> buffer, string path, out UpgradeResponseHead? head, out int headLength)
    {
        try
        {
            return UpgradeResponseHead.TryParse(buffer, out head, out headLength);
        }
        catch (FormatException e)
        {
            throw new BuildKitConnectionException($"The daemon's answer to POST {path} is not HTTP: {e.Message}", e);
        }
    }

    /// <summary>The refusal's body: dockerd's JSON <c>{"message": ...}</c> reduced to the message, anything else as text.</summary>
    private static async Task<string> ReadErrorBodyAsync(
        Stream connection, UpgradeResponseHead head, ReadOnlyMemory<byte> already, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        body.Write(already.Span);
        var expected = long.TryParse(head.Header("Content-Length"), out var length) ? Math.Min(length, MaxErrorBodyBytes) : MaxErrorBodyBytes;
        var chunked = head.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
        // A keep-alive connection never reaches EOF: stop at the declared length, the last chunk, or a short timeout.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ErrorBodyTimeout);
        var chunk = new byte[4096];
        try
        {
            while (body.Length < expected && !(chunked && EndsWithLastChunk(body)))
            {
                var read = await connection.ReadAsync(chunk, timeout.Token);
                if (read == 0)
                {
                    break;
                }
                body.Write(chunk, 0, read);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        var bytes = body.ToArray().AsSpan(0, (int)Math.Min(body.Length, expected));
        var text = chunked ? Dechunk(bytes) : Encoding.UTF8.GetString(bytes);
        return MessageOf(text.Trim());
    }

    private static bool EndsWithLastChunk(MemoryStream body) =>
        body.Length >= 5 && body.GetBuffer().AsSpan(0, (int)body.Length).EndsWith("0\r\n\r\n"u8);

    private static string Dechunk(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        while (bytes.IndexOf("\r\n"u8) is var lineEnd and > 0
               && int.TryParse(Encoding.ASCII.GetString(bytes[..lineEnd]).Split(';')[0], System.Globalization.NumberStyles.HexNumber, null, out var size)
               && size > 0 && lineEnd + 2 + size <= bytes.Length)
        {
            text.Append(Encoding.UTF8.GetString(bytes.Slice(lineEnd + 2, size)));
            bytes = bytes[Math.Min(bytes.Length, lineEnd + 4 + size)..];
        }
        return text.ToString();
    }

    internal static string MessageOf(string body)
    {
        if (body.StartsWith('{'))
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                {
                    return message.GetString()!;
                }
            }
            catch (JsonException)
            {
            }
        }
        return body;
    }
}
