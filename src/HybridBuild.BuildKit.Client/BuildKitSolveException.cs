namespace HybridBuild.BuildKit.Client;

/// <summary>
/// The build failed. The message is the daemon's own, prefixed with <c>failed to solve: </c> as BuildKit's Go client
/// words it (for example <c>failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2</c>),
/// or the reason a local or tar export failed.
/// </summary>
public sealed class BuildKitSolveException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BuildKitSolveException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
