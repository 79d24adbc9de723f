namespace HybridBuild.Application.Submissions;

/// <summary>A parsed POST /builds: who sent it, the spec, and the context archive spooled to a temporary file when one came with it.</summary>
internal sealed class SubmittedRequest : IDisposable
{
    /// <summary>The key (or trigger) submitting: the secrets the stages name must be granted to it.</summary>
    public required Caller Caller { get; init; }
    public required BuildSpec Spec { get; init; }
    /// <summary>SHA-256 over the spec and the context, to tell a retry from a different request under the same idempotency key.</summary>
    public required string Fingerprint { get; init; }
    public string? ContextFile { get; init; }
    public bool ContextIsGzip { get; init; }
    public long ContextSize { get; init; }

    public void Dispose()
    {
        if (ContextFile is not null) File.Delete(ContextFile);
    }
}
