namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>Builds the HPACK header block of the one <c>Control/Session</c> request.</summary>
internal static class SessionRequestHead
{
    public const string Path = "/moby.buildkit.v1.Control/Session";

    // Fields we write ourselves, plus the connection-specific ones HTTP/2 forbids (RFC 9113 §8.2.2).
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "content-type", "te", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
    };

    /// <summary>The request head; <paramref name="secure"/> (a TLS connection) makes <c>:scheme</c> <c>https</c>.</summary>
    public static byte[] Encode(string authority, bool secure, IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentException.ThrowIfNullOrEmpty(authority);
        ArgumentNullException.ThrowIfNull(headers);
        CheckValue(authority, ":authority");

        var block = new ArrayBufferWriter<byte>(256);
        HpackLiteralEncoder.WriteField(block, ":method", "POST");
        HpackLiteralEncoder.WriteField(block, ":scheme", secure ? "https" : "http");
        HpackLiteralEncoder.WriteField(block, ":path", Path);
        HpackLiteralEncoder.WriteField(block, ":authority", authority);
        HpackLiteralEncoder.WriteField(block, "content-type", "application/grpc");
        HpackLiteralEncoder.WriteField(block, "te", "trailers");
        foreach ((string key, string value) in headers)
        {
            // HTTP/2 requires lowercase names (RFC 9113 §8.2.1); gRPC metadata keys are case-insensitive anyway.
            string name = CheckName(key);
            CheckValue(value, name);
            HpackLiteralEncoder.WriteField(block, name, value);
        }
        return block.WrittenSpan.ToArray();
    }

    private static string CheckName(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key, "headers");
        string name = key.ToLowerInvariant();
        foreach (char c in name)
        {
            bool token = c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.' or '!' or '#' or '$' or '%'
                or '&' or '\'' or '*' or '+' or '^' or '`' or '|' or '~';
            if (!token)
            {
                throw new ArgumentException($"Header name '{key}' is not an HTTP token.", "headers");
            }
        }
        if (Reserved.Contains(name) || name.StartsWith("grpc-", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Header '{key}' is set by the session call itself or not allowed in HTTP/2.", "headers");
        }
        return name;
    }

    // gRPC ASCII metadata is printable ASCII (0x20-0x7E); HTTP/2 also rejects surrounding whitespace (§8.2.1).
    private static void CheckValue(string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        foreach (char c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException($"The value of header '{name}' must be printable ASCII.", "headers");
            }
        }
        if (value.Length > 0 && (value[0] == ' ' || value[^1] == ' '))
        {
            throw new ArgumentException($"The value of header '{name}' must not start or end with a space.", "headers");
        }
    }
}
