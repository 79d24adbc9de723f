namespace HybridBuild.Api.Tests;

/// <summary>API keys: every endpoint but health and the API description needs one, with the right scope.</summary>
[Collection(LiveService.Name)]
public sealed class AccessTests(ServiceFixture service)
{
    private static readonly string SomeBuild = $"/api/v1/builds/{Guid.NewGuid()}";

    [Theory]
    [InlineData("GET", "/api/v1/builds")]
    [InlineData("POST", "/api/v1/builds")]
    [InlineData("GET", "/api/v1/keys")]
    [InlineData("POST", "/api/v1/keys")]
    public async Task Without_a_key_the_API_answers_401_as_a_problem(string method, string path)
    {
        using var anonymous = service.ClientWithKey(null);
        using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
        await BuildApi.ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Any_valid_key_may_read_its_own_name_and_scopes_but_never_the_key()
    {
        var name = $"reader-{Guid.NewGuid():N}";
        var key = await new BuildApi(service.Client).CreateKeyAsync(name, ApiScopes.BuildsRead);
        using var reader = service.ClientWithKey(key);

        using var response = await reader.GetAsync("/api/v1/keys/self");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(key, body);
        var self = JsonNode.Parse(body)!;
        Assert.Equal(name, self["name"]!.GetValue<string>());
        Assert.Equal([ApiScopes.BuildsRead], self["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(Guid.TryParse(self["id"]!.GetValue<string>(), out _));
        var admin = (await service.Client.GetFromJsonAsync<JsonObject>("/api/v1/keys/self"))!;
        Assert.Equal([ApiScopes.Admin], admin["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Null(admin["id"]); // the configured admin key has no record
        using var anonymous = service.ClientWithKey(null);
        await BuildApi.ProblemAsync(await anonymous.GetAsync("/api/v1/keys/self"), HttpStatusCode.Unauthorized, "unauthorized");
        // listing keys still needs admin
        await BuildApi.ProblemAsync(await reader.GetAsync("/api/v1/keys"), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Every_path_of_a_build_needs_a_key()
    {
        using var anonymous = service.ClientWithKey(null);
        foreach (var path in new[] { SomeBuild, SomeBuild + "/logs", SomeBuild + "/artifacts", SomeBuild + "/artifacts/out?format=zip" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(SomeBuild + "/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Health_and_the_API_description_need_no_key()
    {
        using var anonymous = service.ClientWithKey(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/swagger/v1/swagger.json"))!;
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["ApiKey"]!["scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_key_is_401_and_the_answer_does_not_repeat_it()
    {
        const string wrong = "hbk_this-key-was-never-issued-0123456789abcdef";
        using var client = service.ClientWithKey(wrong);
        using var response = await client.GetAsync("/api/v1/builds");
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.DoesNotContain(wrong, problem.ToJsonString());
    }

    [Fact]
    public async Task A_read_key_reads_builds_but_may_not_submit_cancel_retry_delete_or_manage_keys()
    {
        var key = await CreateKeyAsync("reader", "builds:read");
        using var reader = service.ClientWithKey(key);

        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/builds")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync(SomeBuild)).StatusCode);
        var submit = await BuildApi.ProblemAsync(await reader.PostAsJsonAsync("/api/v1/builds", new { }), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("builds:write", submit["scope"]!.GetValue<string>());
        await BuildApi.ProblemAsync(await reader.PostAsync(SomeBuild + "/cancel", null), HttpStatusCode.Forbidden, "forbidden");
        await BuildApi.ProblemAsync(await reader.PostAsync(SomeBuild + "/retry", null), HttpStatusCode.Forbidden, "forbidden");
        var delete = await BuildApi.ProblemAsync(await reader.DeleteAsync(SomeBuild), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("builds:write", delete["scope"]!.GetValue<string>());
        var keys = await BuildApi.ProblemAsync(await reader.GetAsync("/api/v1/keys"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("admin", keys["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_write_key_submits_but_may_not_read()
    {
        var key = await CreateKeyAsync("ci", "builds:write");
        using var writer = service.ClientWithKey(key);
        // an invalid spec gets past authorization to validation: the key may submit
        await BuildApi.ProblemAsync(await writer.PostAsJsonAsync("/api/v1/builds", new { stages = Array.Empty<object>() }), HttpStatusCode.BadRequest, "validation");
        await BuildApi.ProblemAsync(await writer.GetAsync("/api/v1/builds"), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Keys_are_stored_hashed_listed_without_the_key_and_stop_working_when_revoked()
    {
        using var created = await service.Client.PostAsJsonAsync("/api/v1/keys", new { name = "to revoke", scopes = new[] { "builds:read" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var key = body["key"]!.GetValue<string>();
        var id = body["id"]!.GetValue<string>();
        Assert.StartsWith("hbk_", key);
        Assert.Equal($"/api/v1/keys/{id}", created.Headers.Location!.OriginalString);

        var list = await service.Client.GetStringAsync("/api/v1/keys");
        Assert.Contains(id, list);
        Assert.DoesNotContain(key, list);
        Assert.DoesNotContain("hash", list, StringComparison.OrdinalIgnoreCase);
        Assert.False(await DatabaseHoldsAsync(key), "the database holds the key itself");

        using var holder = service.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await holder.GetAsync("/api/v1/builds")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.DeleteAsync($"/api/v1/keys/{id}")).StatusCode);
        await BuildApi.ProblemAsync(await holder.GetAsync("/api/v1/builds"), HttpStatusCode.Unauthorized, "unauthorized");
        var revoked = JsonNode.Parse(await service.Client.GetStringAsync("/api/v1/keys"))!.AsArray().Single(k => k!["id"]!.GetValue<string>() == id)!;
        Assert.NotNull(revoked["revokedAt"]);
        Assert.NotNull(revoked["lastUsedAt"]);
        Assert.Equal(HttpStatusCode.NotFound, (await service.Client.DeleteAsync($"/api/v1/keys/{Guid.NewGuid()}")).StatusCode);
    }

    [Theory]
    [InlineData("""{"name":"x","scopes":["builds:delete"]}""", "scopes")]
    [InlineData("""{"name":"x","scopes":[]}""", "scopes")]
    [InlineData("""{"scopes":["admin"]}""", "name")]
    public async Task A_key_request_that_is_not_valid_is_a_400_naming_the_field(string json, string field)
    {
        using var response = await service.Client.PostAsync("/api/v1/keys", new StringContent(json, Encoding.UTF8, "application/json"));
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_dashboard_asks_for_an_admin_key_with_Basic_and_opens_with_one()
    {
        using var anonymous = service.ClientWithKey(null);
        using var refused = await anonymous.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);

        var reader = await CreateKeyAsync("not an admin", "builds:read", "builds:write", "publish");
        using var notAdmin = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        notAdmin.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"someone:{reader}")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(notAdmin)).StatusCode);

        using var admin = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        admin.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{ServiceFixture.AdminKey}")));
        using var opened = await anonymous.SendAsync(admin);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Contains("HybridBuildService jobs", await opened.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_dashboard_action_posted_with_the_browser_s_Basic_credentials_but_no_antiforgery_token_is_refused()
    {
        // a page on another site can make the browser post a form with the Basic credentials it holds for the dashboard
        using var anonymous = service.ClientWithKey(null);
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/hangfire/recurring/trigger")
        {
            Content = new FormUrlEncodedContent([new("jobs[]", "reconcile-stages")]),
        };
        forged.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{ServiceFixture.AdminKey}")));
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.SendAsync(forged)).StatusCode);
    }

    private Task<string> CreateKeyAsync(string name, params string[] scopes) => new BuildApi(service.Client).CreateKeyAsync(name, scopes);

    private async Task<bool> DatabaseHoldsAsync(string text) =>
        await Sql.ScalarAsync<long>(service.ConnectionString,
            "SELECT count(*) FROM hybridbuild.api_keys WHERE \"Hash\" = @t OR \"Name\" = @t OR \"Scopes\"::text LIKE '%' || @t || '%'", ("t", text)) > 0;

    [Fact]
    public async Task Basic_credentials_with_the_admin_key_open_the_dashboard_but_not_the_API()
    {
        using var anonymous = service.ClientWithKey(null);
        var basic = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"x:{ServiceFixture.AdminKey}")));

        using var api = new HttpRequestMessage(HttpMethod.Get, "/api/v1/builds") { Headers = { Authorization = basic } };
        using var refused = await anonymous.SendAsync(api);
        var problem = await BuildApi.ProblemAsync(refused, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("/hangfire", problem["detail"]!.GetValue<string>());
        Assert.Contains("Bearer", problem["detail"]!.GetValue<string>());

        using var dashboard = new HttpRequestMessage(HttpMethod.Get, "/hangfire") { Headers = { Authorization = basic } };
        using var opened = await anonymous.SendAsync(dashboard);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/no-such-resource")]
    [InlineData("/no-such-page")]
    public async Task A_path_no_endpoint_marks_public_needs_a_key(string path)
    {
        using var anonymous = service.ClientWithKey(null);
        using var response = await anonymous.GetAsync(path);
        await BuildApi.ProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Swagger_UI_the_web_console_and_the_webhook_receiver_need_no_key()
    {
        using var anonymous = service.ClientWithKey(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/swagger/index.html")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/")).StatusCode); // the console, which asks for a key itself
        using var webhook = await anonymous.PostAsync($"/api/v1/webhooks/{Guid.NewGuid()}", new StringContent("{}", Encoding.UTF8, "application/json"));
        await BuildApi.ProblemAsync(webhook, HttpStatusCode.NotFound, "not-found"); // reached the receiver: no such trigger
    }
}
