using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HybridBuild.Publishing.Artifactory;

/// <summary>
/// Deploys files with JFrog Artifactory's deploy API: <c>PUT {url}/{repo}/{path};key=value</c> with
/// <c>X-Checksum-Sha1</c> and <c>X-Checksum-Sha256</c>; files of <see cref="ArtifactoryPublisherOptions.ChecksumDeployMinSize"/>
/// or more are first offered by checksum (<c>X-Checksum-Deploy: true</c>, no body) and uploaded only when the
/// server answers 404 (it does not have the content).
/// </summary>
internal sealed class ArtifactoryPublisher(
    IHttpClientFactory httpClientFactory, IOptions<ArtifactoryPublisherOptions> options, ILogger<ArtifactoryPublisher> logger) : IPublisher
{
    public const string TargetType = "artifactory";
    public const string HttpClientName = "HybridBuild.Publishing.Artifactory";

    public string Type => TargetType;

    public async Task<PublishedFile> PublishFileAsync(PublishTarget target, PublishFile file, CancellationToken ct)
    {
        Validate(target, file);
        var settings = options.Value;
        var deployUrl = ArtifactoryUrl.Deploy(target.Url, target.Repository, file.Path, file.Properties);
        var transport = new ArtifactoryTransport(httpClientFactory.CreateClient(HttpClientName), settings, logger);
        var checksums = await ContentChecksums.ComputeAsync(file, ct).ConfigureAwait(false);
        var attempts = 0;

        if (file.Size >= settings.ChecksumDeployMinSize)
        {
            var byChecksum = await transport.SendAsync(target, file.Path, "checksum deploy",
                _ => Task.FromResult(NewRequest(deployUrl, checksums, checksumDeploy: true, content: null)), ct).ConfigureAwait(false);
            attempts += byChecksum.Attempts;
            if (byChecksum.IsSuccess)
                return Published(target, file, byChecksum, deployedByChecksum: true, attempts);
            if (byChecksum.Status != HttpStatusCode.NotFound)
                throw Refused(target, file, "checksum deploy", byChecksum);
            // 404: Artifactory does not have this content yet; send it
        }

        var upload = await transport.SendAsync(target, file.Path, "upload", async attemptCt =>
        {
            var stream = await file.OpenContent(attemptCt).ConfigureAwait(false);
            var content = new StreamContent(stream, 128 * 1024);
            content.Headers.ContentLength = file.Size;
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            var request = NewRequest(deployUrl, checksums, checksumDeploy: false, content);
            // a refusal (401, 403, 409 on an existing path) comes back before a large body is sent
            request.Headers.ExpectContinue = file.Size >= settings.ChecksumDeployMinSize;
            return request;
        }, ct).ConfigureAwait(false);
        attempts += upload.Attempts;
        if (!upload.IsSuccess)
            throw Refused(target, file, "upload", upload);
        return Published(target, file, upload, deployedByChecksum: false, attempts);
    }

    private static HttpRequestMessage NewRequest(Uri url, ContentChecksums checksums, bool checksumDeploy, HttpContent? content)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        request.Headers.Add("X-Checksum-Sha1", checksums.Sha1);
        request.Headers.Add("X-Checksum-Sha256", checksums.Sha256);
        if (checksumDeploy)
            request.Headers.Add("X-Checksum-Deploy", "true");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    private static PublishedFile Published(PublishTarget target, PublishFile file, DeployAnswer answer, bool deployedByChecksum, int attempts)
    {
        var (downloadUri, sha256) = ArtifactoryResponses.ReadCreated(answer.Body);
        if (sha256 is not null && !string.Equals(sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new PublishException(
                $"Artifactory target '{target.Name}' reports SHA-256 {sha256} for '{file.Path}', not {file.Sha256}.", (int)answer.Status, null);
        return new PublishedFile(downloadUri ?? ArtifactoryUrl.Artifact(target.Url, target.Repository, file.Path), deployedByChecksum, attempts);
    }

    private static PublishException Refused(PublishTarget target, PublishFile file, string step, DeployAnswer answer)
    {
        var serverMessage = Redact(ArtifactoryResponses.ReadErrorMessage(answer.Body), target.Credentials);
        var status = (int)answer.Status;
        var message = $"Artifactory target '{target.Name}' answered {status} {answer.ReasonPhrase} to the {step} of " +
                      $"'{file.Path}' to repository '{target.Repository}'" +
                      (answer.Attempts > 1 ? $" (after {answer.Attempts} attempts)" : "") +
                      (serverMessage is null ? "." : $": {serverMessage}");
        return new PublishException(message, status, serverMessage);
    }

    /// <summary>A server that echoes what it was sent must not carry a secret into our records.</summary>
    private static string? Redact(string? text, PublishCredentials? credentials)
    {
        if (text is null || credentials is null) return text;
        var basic = credentials.IsToken ? null
            : Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}"));
        foreach (var secret in new[] { credentials.AccessToken, credentials.Password, basic })
            if (!string.IsNullOrEmpty(secret))
                text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }

    private static void Validate(PublishTarget target, PublishFile file)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(file);
        if (!string.Equals(target.Type, TargetType, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Target '{target.Name}' is of type '{target.Type}', not '{TargetType}'.", nameof(target));
        if (!target.Url.IsAbsoluteUri || target.Url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"Target '{target.Name}' needs an absolute http(s) URL.", nameof(target));
        if (target.Url.UserInfo.Length > 0)
            throw new ArgumentException($"Target '{target.Name}' has credentials in its URL; configure them as credentials.", nameof(target));
        if (string.IsNullOrWhiteSpace(target.Repository) || target.Repository.Contains('/'))
            throw new ArgumentException($"Target '{target.Name}' needs a repository key without '/'.", nameof(target));
        ArtifactoryUrl.Segments(file.Path);
        if (file.Size < 0)
            throw new ArgumentException($"'{file.Path}' has a negative size.", nameof(file));
        if (file.Sha256 is not { Length: 64 } || !file.Sha256.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"'{file.Path}' needs a SHA-256 of 64 hex digits.", nameof(file));
    }
}
