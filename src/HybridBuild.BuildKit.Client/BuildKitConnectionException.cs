namespace HybridBuild.BuildKit.Client;

/// <summary>The daemon could not be reached, or refused a connection upgrade; the message carries the daemon's own words.</summary>
public sealed class BuildKitConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BuildKitConnectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
