using System.Text;

namespace HybridBuild.Core.Abstractions;

/// <summary>
/// Publishes stored artifacts to one kind of configured target (Artifactory, an OCI registry, ...).
/// One implementation per <see cref="Type"/>; the caller picks it by <see cref="PublishTarget.Type"/>.
/// </summary>
public interface IPublisher
{
    /// <summary>The target type this publisher speaks, e.g. <c>artifactory</c> (compared case-insensitively).</summary>
    string Type { get; }

    /// <summary>
    /// Publishes one file. Idempotent: publishing the same file to the same path again overwrites it with the
    /// same content. Throws <see cref="PublishException"/> when the target refuses the file.
    /// </summary>
    Task<PublishedFile> PublishFileAsync(PublishTarget target, PublishFile file, CancellationToken ct);
}

/// <summary>A named, configured place to publish to. Its credentials never appear in <see cref="ToString"/>.</summary>
/// <param name="Name">The name requests refer to the target by.</param>
/// <param name="Type">The publisher type, e.g. <c>artifactory</c>.</param>
/// <param name="Url">The server's base URL, e.g. <c>https://acme.jfrog.io/artifactory</c>.</param>
/// <param name="Repository">The repository on that server, e.g. <c>libs-release-local</c>.</param>
/// <param name="Credentials">How to authenticate, or null for anonymous access.</param>
public sealed record PublishTarget(string Name, string Type, Uri Url, string Repository, PublishCredentials? Credentials)
{
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name)
            .Append(", Type = ").Append(Type)
            .Append(", Url = ").Append(Url)
            .Append(", Repository = ").Append(Repository)
            .Append(", Credentials = ").Append(Credentials?.ToString() ?? "none");
        return true;
    }
}

/// <summary>
/// An access token or a username and password. A class rather than a record so no generated member prints or
/// compares the secret; <see cref="ToString"/> names only the kind (and the username).
/// </summary>
public sealed class PublishCredentials
{
    private PublishCredentials(string? accessToken, string? username, string? password)
    {
        AccessToken = accessToken;
        Username = username;
        Password = password;
    }

    /// <summary>A bearer token (Artifactory access token, registry token); null for basic credentials.</summary>
    public string? AccessToken { get; }

    /// <summary>The user for basic authentication; null for a token.</summary>
    public string? Username { get; }

    /// <summary>The password (or API key) for basic authentication; null for a token.</summary>
    public string? Password { get; }

    public bool IsToken => AccessToken is not null;

    public static PublishCredentials Token(string accessToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        return new PublishCredentials(accessToken, null, null);
    }

    public static PublishCredentials Basic(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        return new PublishCredentials(null, username, password);
    }

    public override string ToString() => IsToken ? "token ***" : $"basic {Username}:***";
}

/// <summary>One file to publish.</summary>
/// <param name="Path">The destination path inside the target repository, already rendered (<c>a/b/file.exe</c>).</param>
/// <param name="Properties">Properties to attach (Artifactory properties, ...): key to one or more values.</param>
/// <param name="Size">The content length in bytes.</param>
/// <param name="Sha256">The content's SHA-256, lower-case hex.</param>
/// <param name="OpenContent">
/// Opens the content from the start (typically from blob storage). May be called more than once (checksums,
/// retries); each stream is disposed by the publisher.
/// </param>
public sealed record PublishFile(
    string Path,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Properties,
    long Size,
    string Sha256,
    Func<CancellationToken, Task<Stream>> OpenContent);

/// <summary>What the target answered for one published file.</summary>
/// <param name="Url">Where the file can be downloaded (Artifactory's <c>downloadUri</c>).</param>
/// <param name="DeployedByChecksum">True when the target already had the content and no bytes were sent.</param>
/// <param name="Attempts">HTTP requests made, including the checksum deploy and retries.</param>
public sealed record PublishedFile(Uri Url, bool DeployedByChecksum, int Attempts);

/// <summary>
/// The target refused a file or could not be reached. <see cref="Exception.Message"/> carries the server's own
/// error message; never a credential.
/// </summary>
public sealed class PublishException : Exception
{
    public PublishException(string message, int? statusCode, string? serverMessage, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        ServerMessage = serverMessage;
    }

    /// <summary>The HTTP status of the last answer, or null when there was none (connection failure).</summary>
    public int? StatusCode { get; }

    /// <summary>The server's error message as it sent it (e.g. Artifactory's <c>errors[].message</c>).</summary>
    public string? ServerMessage { get; }
}
