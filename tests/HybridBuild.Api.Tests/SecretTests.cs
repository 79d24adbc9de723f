using HybridBuild.Application.Secrets;

namespace HybridBuild.Api.Tests;

/// <summary>Named build secrets: write-only, encrypted at rest, mounted by RUN, never shown again.</summary>
[Collection(LiveService.Name)]
public sealed class SecretTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    [Fact]
    public async Task A_secret_reaches_RUN_and_never_appears_in_a_log_a_build_record_an_artifact_or_an_API_answer()
    {
        var name = $"token-{Guid.NewGuid():N}"[..20];
        var value = $"s3cr3t-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.PutAsJsonAsync($"/api/v1/secrets/{name}", new { value })).StatusCode);

        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                // the RUN prints the secret on purpose: the service must keep it out of the stored log
                ["Dockerfile"] = $"FROM busybox AS use\nARG nonce\nRUN --mount=type=secret,id={name} mkdir /out && echo $nonce "
                    + $"&& echo \"the secret has $(wc -c < /run/secrets/{name}) bytes\" && cat /run/secrets/{name} && echo "
                    + $"&& sha256sum /run/secrets/{name} | cut -d' ' -f1 > /out/secret.sha256\nFROM scratch AS out\nCOPY --from=use /out/ /\n",
            } } },
            Stages = [new StageSpec { Name = "out", Target = "out", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") }, Secrets = [name] }],
        };
        var done = await _api.WaitSucceededAsync((await _api.SubmitAsync(spec)).Id);

        var artifact = done.Stages.Single().Artifacts!.Single();
        var hash = (await service.Client.GetStringAsync(artifact.Href)).Trim();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value))), hash);
        var log = await _api.LogAsync(done.Id);
        Assert.Contains($"the secret has {value.Length} bytes", log);
        Assert.Contains("***", log);
        Assert.DoesNotContain(value, log);
        Assert.DoesNotContain(value, await service.Client.GetStringAsync($"/api/v1/builds/{done.Id}"));
        Assert.DoesNotContain(value, await service.Client.GetStringAsync($"/api/v1/builds/{done.Id}/logs?stage=out"));
        var secrets = await service.Client.GetStringAsync("/api/v1/secrets");
        Assert.Contains(name, secrets);
        Assert.DoesNotContain(value, secrets);
        Assert.False(await DatabaseHoldsAsync(value), "the database holds the secret's value in clear");
    }

    [Fact]
    public async Task A_stage_naming_a_secret_that_does_not_exist_is_a_400_naming_it()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox\nRUN true\n" } } },
            Stages = [new StageSpec { Name = "s", Target = null, Secrets = ["never-created"] }],
        };
        using var response = await _api.PostJsonAsync(spec);
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Contains("never-created", problem["errors"]!["stages[0].secrets[0]"]!.ToJsonString());
    }

    [Theory]
    [InlineData("bad name", """{"value":"x"}""", "name")]
    [InlineData("good-name", """{"value":""}""", "value")]
    [InlineData("good-name", """{}""", "value")]
    public async Task A_secret_that_is_not_valid_is_a_400_naming_the_field(string name, string json, string field)
    {
        using var response = await service.Client.PutAsync($"/api/v1/secrets/{Uri.EscapeDataString(name)}", new StringContent(json, Encoding.UTF8, "application/json"));
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal(field, problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_admins_manage_secrets_and_a_deleted_secret_is_gone()
    {
        using var created = await service.Client.PostAsJsonAsync("/api/v1/keys", new { name = "writer", scopes = new[] { "builds:write", "builds:read", "publish" } });
        var key = (await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        using var writer = service.ClientWithKey(key);
        await BuildApi.ProblemAsync(await writer.PutAsJsonAsync("/api/v1/secrets/x", new { value = "v" }), HttpStatusCode.Forbidden, "forbidden");
        await BuildApi.ProblemAsync(await writer.GetAsync("/api/v1/secrets"), HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.PutAsJsonAsync("/api/v1/secrets/short-lived", new { value = "value" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.DeleteAsync("/api/v1/secrets/short-lived")).StatusCode);
        await BuildApi.ProblemAsync(await service.Client.DeleteAsync("/api/v1/secrets/short-lived"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_write_key_without_a_grant_is_403_naming_the_secret_and_the_field_and_no_build_is_stored()
    {
        var keyName = $"ungranted-{Guid.NewGuid():N}"[..20];
        var (_, key) = await CreateKeyAsync(keyName);
        var (granted, _) = await CreateSecretAsync(keyName);
        var (name, _) = await CreateSecretAsync();
        using var writer = service.ClientWithKey(key);
        var before = await _api.CountAsync();

        var problem = await BuildApi.ProblemAsync(await new BuildApi(writer).PostJsonAsync(MountingSpec(granted, name)), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("stages[0].secrets[1]", problem["field"]!.GetValue<string>());
        Assert.Contains($"stages[0].secrets[1]: the API key", problem["detail"]!.GetValue<string>());
        Assert.Contains($"'{name}'", problem["detail"]!.GetValue<string>());
        // a secret that does not exist gets the same answer: a key cannot probe for secrets' names
        var missing = await BuildApi.ProblemAsync(await new BuildApi(writer).PostJsonAsync(MountingSpec("never-created-secret")), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal("stages[0].secrets[0]", missing["field"]!.GetValue<string>());
        Assert.Equal(before, await _api.CountAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_write_key_that_the_secret_grants_by_name_or_by_id_mounts_it_in_RUN(bool byId)
    {
        var keyName = $"granted-{Guid.NewGuid():N}"[..20];
        var (id, key) = await CreateKeyAsync(keyName);
        var (name, value) = await CreateSecretAsync(byId ? id.ToString() : keyName);
        using var writer = service.ClientWithKey(key);

        using var response = await new BuildApi(writer).PostJsonAsync(MountingSpec(name));
        var build = await BuildApi.AcceptedAsync(response);
        await AssertMountedAsync(build.Id, value);
        var listed = JsonNode.Parse(await service.Client.GetStringAsync("/api/v1/secrets"))!.AsArray().Single(s => s!["name"]!.GetValue<string>() == name)!;
        Assert.Equal(byId ? id.ToString() : keyName, listed["allowedKeys"]!.AsArray().Single()!.GetValue<string>());
        Assert.Null(listed["value"]);
    }

    [Theory]
    [InlineData("""{"value":"x","allowedKeys":[null]}""", "allowedKeys[0]")]
    [InlineData("""{"value":"x","allowedKeys":["ci","bad\u0001name"]}""", "allowedKeys[1]")]
    [InlineData("""{"value":"x","allowedKeys":["   "]}""", "allowedKeys[0]")]
    public async Task A_secret_whose_allowed_keys_are_not_valid_is_a_400_naming_the_field(string json, string field)
    {
        using var response = await service.Client.PutAsync("/api/v1/secrets/grants-checked", new StringContent(json, Encoding.UTF8, "application/json"));
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        await BuildApi.ProblemAsync(await service.Client.DeleteAsync("/api/v1/secrets/grants-checked"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_trigger_whose_spec_file_names_a_secret_it_does_not_list_fails_the_delivery_and_one_that_lists_it_builds()
    {
        var (name, value) = await CreateSecretAsync();
        await using var repository = await GitRepository.CreateAsync(new Dictionary<string, string>
        {
            ["Dockerfile"] = MountingDockerfile(name),
            ["hybridbuild.json"] = $$"""{"stages":[{"name":"out","target":"out","secrets":["{{name}}"]}]}""",
        });

        var refused = await DeliverAsync(await CreateTriggerAsync(repository.Url, secrets: []), repository.Commit);
        Assert.Equal("failed", refused["outcome"]!.GetValue<string>());
        Assert.Contains($"'{name}'", refused["reason"]!.GetValue<string>());
        Assert.Null(refused["buildId"]);

        var started = await DeliverAsync(await CreateTriggerAsync(repository.Url, secrets: [name]), repository.Commit);
        Assert.True(started["outcome"]!.GetValue<string>() == "started", started.ToJsonString());
        await AssertMountedAsync(Guid.Parse(started["buildId"]!.GetValue<string>()), value);
    }

    [Fact]
    public async Task A_trigger_whose_inline_spec_names_a_secret_it_does_not_list_is_a_400_naming_the_field()
    {
        using var response = await service.Client.PostAsJsonAsync("/api/v1/triggers", new
        {
            name = "inline", repositoryUrl = "git://127.0.0.1:9/app.git", provider = "github", secret = TriggerSecret, secrets = new[] { "listed" },
            spec = new { stages = new[] { new { name = "out", secrets = new[] { "listed", "not-listed" } } } },
        });
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.Contains("not-listed", problem["errors"]!["spec.stages[0].secrets[1]"]!.ToJsonString());
    }

    [Fact]
    public void A_grant_matches_a_key_by_its_id_in_any_GUID_form_or_its_exact_name_and_a_trigger_by_its_list_only()
    {
        var id = Guid.NewGuid();
        var ci = new Caller(id, "ci", IsAdmin: false);
        Assert.True(SecretGrants.MayMount(ci, "s", [id.ToString("B").ToUpperInvariant()]));
        Assert.True(SecretGrants.MayMount(ci, "s", ["ci"]));
        Assert.False(SecretGrants.MayMount(ci, "s", ["CI", Guid.NewGuid().ToString()]));
        Assert.False(SecretGrants.MayMount(ci, "s", []));
        Assert.True(SecretGrants.MayMount(new Caller(null, "configured admin key", IsAdmin: true), "s", []));
        var trigger = new Caller(null, "trigger 't'", IsAdmin: false) { TriggerSecrets = ["s"] };
        Assert.True(SecretGrants.MayMount(trigger, "s", []));
        Assert.False(SecretGrants.MayMount(trigger, "other", ["trigger 't'"]));
    }

    private const string TriggerSecret = "webhook-secret-for-grant-tests-0123";

    /// <summary>A secret with a fresh name and value, that these keys (ids or names) may mount.</summary>
    private async Task<(string Name, string Value)> CreateSecretAsync(params string[] allowedKeys)
    {
        var name = $"grant-{Guid.NewGuid():N}"[..20];
        var value = $"granted-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.NoContent, (await service.Client.PutAsJsonAsync($"/api/v1/secrets/{name}", new { value, allowedKeys })).StatusCode);
        return (name, value);
    }

    private async Task<(Guid Id, string Key)> CreateKeyAsync(string name)
    {
        using var response = await service.Client.PostAsJsonAsync("/api/v1/keys", new { name, scopes = new[] { "builds:write" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return (Guid.Parse(body["id"]!.GetValue<string>()), body["key"]!.GetValue<string>());
    }

    /// <summary>The stage mounts the last secret and leaves the SHA-256 of its value as its artifact.</summary>
    private static string MountingDockerfile(string secret) =>
        $"FROM busybox AS use\nARG nonce\nRUN --mount=type=secret,id={secret} mkdir /out && echo $nonce && sha256sum /run/secrets/{secret} | cut -d' ' -f1 > /out/secret.sha256\n"
        + "FROM scratch AS out\nCOPY --from=use /out/ /\n";

    private static BuildSpec MountingSpec(params string[] secrets) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = MountingDockerfile(secrets[^1]) } } },
        Stages = [new StageSpec { Name = "out", Target = "out", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") }, Secrets = [.. secrets] }],
    };

    private async Task AssertMountedAsync(Guid buildId, string value)
    {
        var done = await _api.WaitSucceededAsync(buildId);
        var hash = (await service.Client.GetStringAsync(done.Stages.Single().Artifacts!.Single().Href)).Trim();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value))), hash);
    }

    private async Task<string> CreateTriggerAsync(string url, string[] secrets)
    {
        using var response = await service.Client.PostAsJsonAsync("/api/v1/triggers", new
        {
            name = "spec-file trigger", repositoryUrl = url, provider = "github", branches = new[] { "main" }, secret = TriggerSecret,
            specPath = "hybridbuild.json", secrets,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(secrets, body["secrets"]!.AsArray().Select(s => s!.GetValue<string>()));
        return body["webhookUrl"]!.GetValue<string>();
    }

    /// <summary>Delivers a GitHub push of <paramref name="commit"/> on main; returns the delivery once its spec file is read.</summary>
    private async Task<JsonNode> DeliverAsync(string webhook, string commit)
    {
        var payload = $$$"""{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"{{{commit}}}","repository":{"full_name":"org/app"}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(TriggerSecret), Encoding.UTF8.GetBytes(payload))));
        using var anonymous = service.ClientWithKey(null);
        using var accepted = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        for (var i = 0; ; i++)
        {
            var delivery = JsonNode.Parse(await service.Client.GetStringAsync(webhook.Replace("/webhooks/", "/triggers/") + "/deliveries"))!.AsArray().Single()!;
            if (delivery["outcome"]!.GetValue<string>() is not ("queued" or "running") || i == 300) return delivery;
            await Task.Delay(100);
        }
    }

    [Fact]
    public void A_multi_line_secret_or_one_ending_in_a_newline_is_masked_in_the_lines_a_build_prints()
    {
        var lines = new List<string>();
        var redactor = new HybridBuild.Application.Secrets.SecretRedactor(new LineCollector(lines), ["token-1234\n", "-----BEGIN KEY-----\r\nAAAAsecretbody\r\n-----END KEY-----"]);
        foreach (var printed in new[] { "auth token-1234", "AAAAsecretbody", "the key ends" })
            redactor.Log(new Core.Abstractions.LogLine(null, 1, printed, DateTimeOffset.UtcNow));
        Assert.Equal(["auth ***", "***", "the key ends"], lines);
    }

    private sealed class LineCollector(List<string> lines) : Core.Abstractions.IBuildProgress
    {
        public void Step(Core.Abstractions.StepEvent step) { }
        public void Log(Core.Abstractions.LogLine line) => lines.Add(line.Text);
    }

    // every text and bytea column the service writes: builds, stages, log events, secrets
    private async Task<bool> DatabaseHoldsAsync(string text) =>
        await Sql.ScalarAsync<long>(service.ConnectionString, """
            SELECT (SELECT count(*) FROM hybridbuild.build_secrets WHERE position(convert_to(@t, 'UTF8') in "Ciphertext") > 0)
                 + (SELECT count(*) FROM hybridbuild.stages s WHERE s::text LIKE '%' || @t || '%')
                 + (SELECT count(*) FROM hybridbuild.builds b WHERE b::text LIKE '%' || @t || '%')
                 + (SELECT count(*) FROM hybridbuild.log_events l WHERE l::text LIKE '%' || @t || '%')
            """, ("t", text)) > 0;
}
