using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HybridBuild.Api.Tests.Infrastructure;
using HybridBuild.Core.Specs;
using Npgsql;

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

    private async Task<bool> DatabaseHoldsAsync(string text)
    {
        await using var connection = new NpgsqlConnection(service.ConnectionString);
        await connection.OpenAsync();
        // every text and bytea column the service writes: builds, stages, log events, secrets
        await using var query = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM hybridbuild.build_secrets WHERE position(convert_to(@t, 'UTF8') in "Ciphertext") > 0)
                 + (SELECT count(*) FROM hybridbuild.stages s WHERE s::text LIKE '%' || @t || '%')
                 + (SELECT count(*) FROM hybridbuild.builds b WHERE b::text LIKE '%' || @t || '%')
                 + (SELECT count(*) FROM hybridbuild.log_events l WHERE l::text LIKE '%' || @t || '%')
            """, connection);
        query.Parameters.AddWithValue("t", text);
        return (long)(await query.ExecuteScalarAsync())! > 0;
    }
}
