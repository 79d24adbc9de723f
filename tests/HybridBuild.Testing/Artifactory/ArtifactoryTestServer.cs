using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace HybridBuild.Testing.Artifactory;

/// <summary>
/// A strict Artifactory on a loopback port (real Kestrel) that enforces the documented deploy contract:
/// authentication; <c>PUT /artifactory/{repo}/{path};key=v1,v2</c> with matrix parameters split on the literal
/// separators and then URL-decoded (as Artifactory does: <c>+</c> is a space there); a body whose SHA-1 or SHA-256
/// differs from <c>X-Checksum-Sha1</c>/<c>X-Checksum-Sha256</c> is refused with 409 (Artifactory's checksum
/// policy answer) and not stored; <c>X-Checksum-Deploy: true</c> answers 404 for unknown content and 201 for known
/// content; 201 carries the documented "item created" body; errors carry <c>{"errors":[{status,message}]}</c>.
/// </summary>
public sealed class ArtifactoryTestServer : IAsyncDisposable
{
    public const string ContextPath = "/artifactory";

    private readonly WebApplication _app;
    private readonly ArtifactoryTestServerOptions _options;
    private readonly ConcurrentDictionary<(string Repo, string Path), StoredArtifact> _artifacts = new();
    private readonly ConcurrentDictionary<string, byte[]> _contentByChecksum = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private ArtifactoryTestServer(WebApplication app, ArtifactoryTestServerOptions options)
    {
        _app = app;
        _options = options;
    }

    /// <summary>The base URL a target is configured with: <c>http://127.0.0.1:{port}/artifactory</c>.</summary>
    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public static async Task<ArtifactoryTestServer> StartAsync(ArtifactoryTestServerOptions? options = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ArtifactoryTestServer(app, options ?? new ArtifactoryTestServerOptions());
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Url = new Uri(app.Urls.Single().TrimEnd('/') + ContextPath);
        return server;
    }

    /// <summary>Makes content known (as if another path held it), so a checksum deploy of it succeeds.</summary>
    public void AddKnownContent(byte[] content)
    {
        _contentByChecksum[Convert.ToHexStringLower(SHA1.HashData(content))] = content;
        _contentByChecksum[Convert.ToHexStringLower(SHA256.HashData(content))] = content;
    }

    /// <summary>The next <paramref name="count"/> requests meet <paramref name="fault"/>.</summary>
    public void FailNext(int count, Fault fault)
    {
        for (var i = 0; i < count; i++) _faults.Enqueue(fault);
    }

    public StoredArtifact? Find(string repository, string path) => _artifacts.GetValueOrDefault((repository, path));

    public IReadOnlyCollection<StoredArtifact> Artifacts => _artifacts.Values.ToArray();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        // read the whole body first, whatever the answer: what was sent is part of what a test checks
        var body = await ReadBodyAsync(request, context.RequestAborted);
        void Record(int? status = null) => _requests.Enqueue(new RecordedRequest(request.Method, rawTarget,
            request.Headers.Authorization, request.Headers["X-Checksum-Sha1"], request.Headers["X-Checksum-Sha256"],
            request.Headers["X-Checksum-Deploy"], body.Length, status ?? context.Response.StatusCode));

        if (_faults.TryDequeue(out var fault))
        {
            switch (fault)
            {
                case Fault.DropConnection:
                    Record(0);
                    context.Abort();
                    return;
                case Fault.Stall:
                    Record(0);
                    try { await Task.Delay(Timeout.Infinite, context.RequestAborted); } catch (OperationCanceledException) { }
                    return;
                case Fault.Status s:
                    if (s.RetryAfter is { } after) context.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString();
                    await ErrorAsync(context, s.Code, s.Message);
                    Record();
                    return;
            }
        }

        await DispatchAsync(context, rawTarget, body);
        Record();
    }

    private async Task DispatchAsync(HttpContext context, string rawTarget, byte[] body)
    {
        if (!Authenticated(context.Request, out var user))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Artifactory Realm\"";
            await ErrorAsync(context, 401, "Bad credentials");
            return;
        }
        if (!MatrixTarget.TryParse(rawTarget, ContextPath, out var target, out var parseError))
        {
            await ErrorAsync(context, 400, parseError);
            return;
        }
        if (!_options.Repositories.Contains(target.Repository))
        {
            await ErrorAsync(context, 404, $"Repository '{target.Repository}' does not exist.");
            return;
        }
        switch (context.Request.Method)
        {
            case "GET" when Find(target.Repository, target.Path) is { } stored:
                context.Response.ContentType = "application/octet-stream";
                await context.Response.Body.WriteAsync(stored.Content);
                return;
            case "GET":
                await ErrorAsync(context, 404, "File not found.");
                return;
            case "PUT" when _options.ReadOnlyRepositories.Contains(target.Repository):
                await ErrorAsync(context, 403,
                    $"Not enough permissions to deploy artifact '{target.Repository}:{target.Path}' (user: '{user}' needs DEPLOY permission).");
                return;
            case "PUT":
                await DeployAsync(context, target, body, user);
                return;
            default:
                await ErrorAsync(context, 405, $"Method {context.Request.Method} is not allowed.");
                return;
        }
    }

    private async Task DeployAsync(HttpContext context, MatrixTarget target, byte[] body, string user)
    {
        var headers = context.Request.Headers;
        string? sha1Header = headers["X-Checksum-Sha1"], sha256Header = headers["X-Checksum-Sha256"];
        var byChecksum = string.Equals(headers["X-Checksum-Deploy"], "true", StringComparison.OrdinalIgnoreCase);
        byte[] content;
        if (byChecksum)
        {
            if (sha1Header is null && sha256Header is null)
            {
                await ErrorAsync(context, 400, "Checksum deploy requires X-Checksum-Sha1 or X-Checksum-Sha256.");
                return;
            }
            var known = (sha256Header is null ? null : _contentByChecksum.GetValueOrDefault(sha256Header))
                        ?? (sha1Header is null ? null : _contentByChecksum.GetValueOrDefault(sha1Header));
            if (known is null)
            {
                await ErrorAsync(context, 404, $"Checksum deploy failed: no content with checksum '{sha256Header ?? sha1Header}' was found.");
                return;
            }
            content = known;
        }
        else
        {
            content = body;
        }

        var sha1 = Convert.ToHexStringLower(SHA1.HashData(content));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var md5 = Convert.ToHexStringLower(MD5.HashData(content));
        if ((sha1Header is not null && !sha1Header.Equals(sha1, StringComparison.OrdinalIgnoreCase))
            || (sha256Header is not null && !sha256Header.Equals(sha256, StringComparison.OrdinalIgnoreCase)))
        {
            await ErrorAsync(context, 409,
                $"Checksum policy 'LocalRepoChecksumPolicy: CLIENT' rejected the artifact '{target.Repository}:{target.Path}'. " +
                $"Checksums info: SHA-1 original '{sha1Header}' actual '{sha1}', SHA-256 original '{sha256Header}' actual '{sha256}'");
            return;
        }

        AddKnownContent(content);
        var stored = new StoredArtifact(target.Repository, target.Path, content, target.Properties, sha1, sha256, md5, byChecksum);
        _artifacts[(target.Repository, target.Path)] = stored;

        var artifactUrl = $"{Url}/{target.Repository}/{string.Join('/', target.Path.Split('/').Select(Uri.EscapeDataString))}";
        context.Response.StatusCode = 201;
        context.Response.Headers.Location = artifactUrl;
        context.Response.ContentType = "application/vnd.org.jfrog.artifactory.storage.ItemCreated+json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            repo = target.Repository,
            path = "/" + target.Path,
            created = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffK"),
            createdBy = user,
            downloadUri = artifactUrl,
            mimeType = "application/octet-stream",
            size = content.Length.ToString(),
            checksums = new { sha1, md5, sha256 },
            originalChecksums = new { sha1 = sha1Header, sha256 = sha256Header },
            uri = artifactUrl,
        });
    }

    private bool Authenticated(HttpRequest request, out string user)
    {
        user = "anonymous";
        var header = request.Headers.Authorization.ToString();
        if (_options.AccessToken is { } token && header == "Bearer " + token)
        {
            user = "token-user";
            return true;
        }
        if (_options.Username is { } name && header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])); }
            catch (FormatException) { return false; }
            if (decoded == $"{name}:{_options.Password}")
            {
                user = name;
                return true;
            }
        }
        return false;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    private static Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new { errors = new[] { new { status, message } } });
    }
}
