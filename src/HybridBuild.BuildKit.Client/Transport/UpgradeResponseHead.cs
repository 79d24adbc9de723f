namespace HybridBuild.BuildKit.Client.Transport;

/// <summary>The status line and headers of the HTTP/1.1 answer to an upgrade request.</summary>
internal sealed record UpgradeResponseHead(int StatusCode, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>
    /// Parses a complete head at the start of <paramref name="buffer"/>. Returns false while the blank line has not
    /// arrived; <paramref name="headLength"/> counts the blank line, so anything after it belongs to the next protocol.
    /// </summary>
    /// <exception cref="FormatException">The bytes are not an HTTP/1.x response head.</exception>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out UpgradeResponseHead? head, out int headLength)
    {
        head = null;
        headLength = 0;
        var end = buffer.IndexOf(EndOfHead);
        if (end < 0)
        {
            return false;
        }
        // Latin-1 keeps every byte as one char, so odd bytes in a reason phrase cannot break the split.
        var lines = Encoding.Latin1.GetString(buffer[..end]).Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || status[1].Length != 3 || !int.TryParse(status[1], out var code))
        {
            throw new FormatException($"not an HTTP/1.1 status line: '{Printable(lines[0])}'");
        }
        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new FormatException($"not an HTTP header line: '{Printable(line)}'");
            }
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        head = new UpgradeResponseHead(code, status.Length > 2 ? status[2] : "", headers);
        headLength = end + EndOfHead.Length;
        return true;
    }

    private static string Printable(string line) =>
        new(line.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
