namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// A file transfer with the daemon failed: the peer broke the fsutil protocol, sent something unsafe, exceeded a
/// limit, or reported an error of its own. Public because a refused export surfaces through the session.
/// </summary>
public sealed class FileTransferException : Exception
{
    public FileTransferException(string message, Exception? inner = null) : base(message, inner) { }

    internal FileTransferException(string message, bool reportedByPeer) : base(message) => ReportedByPeer = reportedByPeer;

    /// <summary>The daemon sent more than a destination takes.</summary>
    internal static FileTransferException TooLarge(long maxBytes) =>
        new($"The export holds more than {maxBytes} bytes, the limit for this destination.");

    /// <summary>True when the other side sent the error (ERR packet); it is then not echoed back.</summary>
    public bool ReportedByPeer { get; }
}
