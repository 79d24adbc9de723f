namespace HybridBuild.Application.Submissions;

/// <summary>
/// A parsed POST /builds: who sent it, the spec, and the context archive when one came with it: already in blob
/// storage, uncommitted, until the build that owns it is stored (disposing the request abandons it).
/// </summary>
internal sealed class SubmittedRequest : IAsyncDisposable
{
    /// <summary>The key (or trigger) submitting: the secrets the stages name must be granted to it.</summary>
    public required Caller Caller { get; init; }
    public required BuildSpec Spec { get; init; }
    /// <summary>SHA-256 over the spec and the context, to tell a retry from a different request under the same idempotency key.</summary>
    public required string Fingerprint { get; init; }
    public IBlobWrite? Context { get; init; }
    public bool ContextIsGzip { get; init; }
    public long ContextSize { get; init; }

    public ValueTask DisposeAsync() => Context?.DisposeAsync() ?? ValueTask.CompletedTask;
}
