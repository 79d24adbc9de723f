namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>
/// Opens BuildKit's <c>Control/Session</c> call with our own minimal HTTP/2 client, because grpc-dotnet joins
/// repeated metadata into one comma-separated field and BuildKit (grpc-go) does not split it: with the stock
/// client a session can advertise only one method. Here every header is its own HPACK field.
/// </summary>
internal static class Http2SessionCall
{
    /// <summary>16 MiB: the daemon can stream file data far ahead of our reader before it has to wait.</summary>
    internal const int DefaultReceiveWindow = 16 * 1024 * 1024;

    /// <summary>
    /// Speaks HTTP/2 with prior knowledge on <paramref name="connection"/> (a dedicated, already connected stream:
    /// unix socket, TCP, TLS or an upgraded Docker connection) and starts one POST to
    /// <c>/moby.buildkit.v1.Control/Session</c>. Returns the tunnel: a duplex stream of the BytesMessage payloads.
    /// The tunnel owns the connection; disposing it half-closes the call and closes the connection, as does a failure here.
    /// <paramref name="secure"/> says the connection is TLS, so the request's <c>:scheme</c> is <c>https</c> as the
    /// Go client sends it (a strict HTTP/2 server refuses a scheme that does not match its transport).
    /// </summary>
    public static Task<Stream> OpenAsync(
        Stream connection, string authority, bool secure, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken ct) =>
        OpenAsync(connection, authority, secure, headers, DefaultReceiveWindow, ct);

    /// <summary>As above with a chosen receive window (tests use a small one to exercise our WINDOW_UPDATEs).</summary>
    internal static async Task<Stream> OpenAsync(
        Stream connection,
        string authority,
        bool secure,
        IEnumerable<KeyValuePair<string, string>> headers,
        int receiveWindow,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfLessThan(receiveWindow, Http2Frame.DefaultWindowSize);
        byte[] headerBlock = SessionRequestHead.Encode(authority, secure, headers);
        return await Http2Tunnel.OpenAsync(connection, headerBlock, receiveWindow, ct).ConfigureAwait(false);
    }
}
