using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// A strict commit status API on loopback, as GitHub or GitLab document it, that answers 4xx to anything else.
/// GitHub: <c>POST /repos/{owner}/{repo}/statuses/{sha}</c> with <c>Authorization: Bearer</c>, <c>Accept:
/// application/vnd.github+json</c>, <c>X-GitHub-Api-Version: 2022-11-28</c> and a User-Agent; a JSON body of
/// <c>state</c> (pending, success, failure, error), <c>target_url</c>, <c>description</c> (at most 140 characters) and
/// <c>context</c>. GitLab: <c>POST /api/v4/projects/:id/statuses/:sha</c> (the id a URL-encoded path) with
/// <c>PRIVATE-TOKEN</c>; <c>state</c> (pending, running, success, failed, canceled), <c>target_url</c>, <c>name</c>,
/// <c>description</c>. Accepted statuses are recorded in order; refusals too, with why.
/// </summary>
public sealed partial class CommitStatusServer : IAsyncDisposable
{
    private static readonly string[] GithubStates = ["pending", "success", "failure", "error"];
    private static readonly string[] GitlabStates = ["pending", "running", "success", "failed", "canceled"];
    private static readonly string[] GithubFields = ["state", "target_url", "description", "context"];
    private static readonly string[] GitlabFields = ["state", "target_url", "name", "description", "ref", "coverage", "pipeline_id"];

    private readonly bool _gitlab;
    private readonly string _token;
    private readonly ConcurrentQueue<PostedStatus> _statuses = new();
    private readonly ConcurrentQueue<string> _refusals = new();
    private LoopbackApp _app = null!;

    private CommitStatusServer(bool gitlab, string token) => (_gitlab, _token) = (gitlab, token);

    /// <summary>The API base URL to configure: the root for GitHub, <c>/api/v4</c> for GitLab.</summary>
    public string ApiUrl => _gitlab ? $"{_app.Url}api/v4" : _app.Url.ToString().TrimEnd('/');

    public IReadOnlyList<PostedStatus> Statuses => _statuses.ToArray();
    public IReadOnlyList<string> Refusals => _refusals.ToArray();

    public static async Task<CommitStatusServer> StartAsync(string provider, string token)
    {
        var server = new CommitStatusServer(provider == "gitlab", token);
        server._app = await LoopbackApp.StartAsync(server.HandleAsync);
        return server;
    }

    /// <summary>Waits until a status of <paramref name="state"/> has been accepted.</summary>
    public async Task<IReadOnlyList<PostedStatus>> WaitForAsync(string state, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!Statuses.Any(s => s.State == state))
        {
            if (watch.Elapsed > timeout) Assert.Fail($"no '{state}' status within {timeout}; accepted: {string.Join(", ", Statuses.Select(s => s.State))}; refused: {string.Join(" | ", Refusals)}");
            await Task.Delay(200);
        }
        return Statuses;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var (status, why) = await CheckAsync(context);
        if (why is not null) _refusals.Enqueue($"{status}: {why}");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(why is null ? """{"id":1}""" : JsonSerializer.Serialize(new { message = why }));
    }

    private async Task<(int Status, string? Why)> CheckAsync(HttpContext context)
    {
        var request = context.Request;
        // the raw target: GitLab's project id is the URL-encoded path, %2F and all
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        if (request.Method != "POST") return (405, $"method {request.Method}");
        var match = (_gitlab ? GitlabPath() : GithubPath()).Match(target);
        if (!match.Success) return (404, $"no such resource: {target}");
        if (_gitlab)
        {
            if (request.Headers["PRIVATE-TOKEN"] != _token) return (401, "PRIVATE-TOKEN missing or wrong");
        }
        else
        {
            if (request.Headers.Authorization != $"Bearer {_token}") return (401, "Authorization is not the Bearer token");
            if (!request.Headers.Accept.ToString().Contains("application/vnd.github+json", StringComparison.Ordinal)) return (415, $"Accept is '{request.Headers.Accept}'");
            if (request.Headers["X-GitHub-Api-Version"] != "2022-11-28") return (400, "X-GitHub-Api-Version is not 2022-11-28");
            if (string.IsNullOrEmpty(request.Headers.UserAgent)) return (403, "no User-Agent");
        }
        if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true) return (415, $"Content-Type is '{request.ContentType}'");
        JsonObject body;
        try { body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException) { return (400, "the body is not a JSON object"); }
        if (body.Select(p => p.Key).FirstOrDefault(k => !(_gitlab ? GitlabFields : GithubFields).Contains(k)) is { } unknown) return (422, $"unknown field '{unknown}'");
        var state = body["state"]?.GetValue<string>();
        if (state is null || !(_gitlab ? GitlabStates : GithubStates).Contains(state)) return (422, $"state '{state}' is not allowed");
        var description = body["description"]?.GetValue<string>();
        if (description is { Length: > 140 }) return (422, "description is longer than 140 characters");
        var name = body[_gitlab ? "name" : "context"]?.GetValue<string>();
        var repository = Uri.UnescapeDataString(match.Groups["repo"].Value);
        _statuses.Enqueue(new PostedStatus(repository, match.Groups["sha"].Value, state, name, body["target_url"]?.GetValue<string>(), description));
        return (201, null);
    }

    [GeneratedRegex("^/repos/(?<repo>[A-Za-z0-9._-]+/[A-Za-z0-9._-]+)/statuses/(?<sha>[0-9a-f]{40})$")]
    private static partial Regex GithubPath();

    // the id is a number or the URL-encoded path: a raw '/' inside it would be another resource
    [GeneratedRegex("^/api/v4/projects/(?<repo>[A-Za-z0-9._-]+(?:%2F[A-Za-z0-9._-]+)+)/statuses/(?<sha>[0-9a-f]{40})$")]
    private static partial Regex GitlabPath();

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>A commit status the server accepted.</summary>
public sealed record PostedStatus(string Repository, string Sha, string State, string? Context, string? TargetUrl, string? Description);
