namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>The REST API as a client sees it, with the waits that end-to-end tests need.</summary>
public sealed class BuildApi(HttpClient client)
{
    public HttpClient Http => client;

    public async Task<HttpResponseMessage> PostJsonAsync(object spec, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/builds")
        {
            Content = new StringContent(JsonSerializer.Serialize(spec, ApiJson.Options), Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    public async Task<HttpResponseMessage> PostMultipartAsync(object spec, byte[] context, string? idempotencyKey = null)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(spec, ApiJson.Options), Encoding.UTF8, "application/json"), "spec" },
            { new ByteArrayContent(context), "context", "context.tar.gz" },
        };
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/builds") { Content = form };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    /// <summary>
    /// Posts a spec written as JSON text that must be refused: checks that the answer is a 400 validation problem and that
    /// no build was stored, and returns the problem's errors at <paramref name="field"/> (failing when there are none).
    /// </summary>
    public async Task<IReadOnlyList<string>> RefusedAsync(string json, string field)
    {
        var before = await CountAsync();

        using var response = await client.PostAsync("/api/v1/builds", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        var errors = problem["errors"]?[field]?.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.True(errors is not null, $"expected errors at '{field}', got: {problem["errors"]?.ToJsonString()}");
        Assert.Equal(before, await CountAsync());
        return errors;
    }

    /// <summary>Submits a spec and returns the accepted build (fails the test unless the answer is 202).</summary>
    public async Task<BuildResponse> SubmitAsync(BuildSpec spec)
    {
        using var response = await PostJsonAsync(spec);
        return await AcceptedAsync(response);
    }

    public async Task<BuildResponse> SubmitAsync(BuildSpec spec, byte[] context)
    {
        using var response = await PostMultipartAsync(spec, context);
        return await AcceptedAsync(response);
    }

    public static async Task<BuildResponse> AcceptedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<BuildResponse>(body, ApiJson.Options)!;
    }

    public async Task<BuildResponse> GetAsync(Guid id) =>
        (await client.GetFromJsonAsync<BuildResponse>($"/api/v1/builds/{id}", ApiJson.Options))!;

    /// <summary>Polls the build until <paramref name="done"/> holds; on timeout fails with the build and its log.</summary>
    public async Task<BuildResponse> WaitAsync(Guid id, Func<BuildResponse, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var build = await GetAsync(id);
            if (done(build)) return build;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"build {id} did not get there within {timeout}: {JsonSerializer.Serialize(build, ApiJson.Options)}\n{await LogAsync(id)}");
            await Task.Delay(200);
        }
    }

    public Task<BuildResponse> WaitFinishedAsync(Guid id, TimeSpan? timeout = null) =>
        WaitAsync(id, b => b.Status.IsTerminal(), timeout ?? TimeSpan.FromMinutes(3));

    /// <summary>Waits for success; on anything else fails with the stages' errors and the log.</summary>
    public async Task<BuildResponse> WaitSucceededAsync(Guid id, TimeSpan? timeout = null)
    {
        var build = await WaitFinishedAsync(id, timeout);
        if (build.Status != BuildStatus.Succeeded)
            Assert.Fail($"build {id} {build.Status}: {string.Join("; ", build.Stages.Select(s => $"{s.Name}={s.Status} {s.Error}"))}\n{await LogAsync(id)}");
        return build;
    }

    public async Task WaitForLogAsync(Guid id, string stage, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!(await LogAsync(id, stage)).Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"'{text}' did not appear in the log of stage {stage}:\n{await LogAsync(id)}");
            await Task.Delay(200);
        }
    }

    public Task<string> LogAsync(Guid id, string? stage = null) =>
        client.GetStringAsync($"/api/v1/builds/{id}/logs{(stage is null ? "" : $"?stage={stage}")}");

    public async Task<int> CountAsync()
    {
        var page = await client.GetFromJsonAsync<JsonObject>("/api/v1/builds?pageSize=1");
        return page!["totalCount"]!.GetValue<int>();
    }

    /// <summary>Creates an API key with <paramref name="scopes"/> (the client must hold an admin key); returns the key itself.</summary>
    public async Task<string> CreateKeyAsync(string name, params string[] scopes)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/keys", new { name, scopes });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }

    /// <summary>Checks an RFC 9457 answer: status, media type and problem type; returns the body.</summary>
    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal($"urn:hybridbuild:problem:{type}", problem["type"]!.GetValue<string>());
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()), "a problem names what was wrong in its detail");
        return problem;
    }
}
