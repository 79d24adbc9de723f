namespace HybridBuild.Api.Tests;

/// <summary>Every bad request gets an RFC 9457 problem that names what was wrong, and stores nothing.</summary>
[Collection(LiveService.Name)]
public sealed class BadInputTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    // JSON written with single quotes for readability; turned into double quotes before sending
    private const string Inline = "{'source':{'inline':{'files':{'Dockerfile':'FROM scratch'}}},";

    public static TheoryData<string, string, string> InvalidSpecs => new()
    {
        { Inline + "'stages':[]}", "stages", "at least one stage" },
        { Inline + "'stages':[{'name':'a','needs':['ghost']}]}", "stages[0].needs[0]", "'ghost' is not a stage" },
        { Inline + "'stages':[{'name':'a','inputs':[{'stage':'ghost','path':'in'}]}]}", "stages[0].inputs[0].stage", "'ghost' is not a stage" },
        { Inline + "'stages':[{'name':'a','needs':['b']},{'name':'b','needs':['a']}]}", "stages", "cycle" },
        { Inline + "'stages':[{'name':'a'},{'name':'a'}]}", "stages[1].name", "used by another stage" },
        { Inline + "'stages':[{'name':'no spaces'}]}", "stages[0].name", "not a valid stage name" },
        { Inline + "'stages':[{'name':'a','platforms':['linux']}]}", "stages[0].platforms[0]", "not a platform" },
        { Inline + "'stages':[{'name':'a','output':{'type':'image','tags':['Bad Tag'],'push':true}}]}", "stages[0].output.tags[0]", "not a valid image reference" },
        { Inline + "'stages':[{'name':'a','output':{'type':'image','tags':['postgres:17']}}]}", "stages[0].output.tags[0]", "not under an allowed prefix" },
        { Inline + "'stages':[{'name':'a','inputs':[{'stage':'b','path':'../up'}]},{'name':'b'}]}", "stages[0].inputs[0].path", "relative path" },
        { "{'source':{'git':{'url':'file:///etc'}},'stages':[{'name':'a'}]}", "source.git.url", "scheme 'file'" },
        { "{'stages':[{'name':'a'}]}", "source.git", "is required" },
        { "{'source':{'git':{'url':'https://example.com/" + new string('a', 2100) + "'}},'stages':[{'name':'a'}]}", "source.git.url", "longer than 2048" },
        { "{'source':{'inline':{'files':{'Dockerfile':null}}},'stages':[{'name':'a'}]}", "source.inline.files", "has no content" },
        { Inline + "'stages':[{'name':'a','buildArgs':{'token':'x\\u0000y'}}]}", "stages[0].buildArgs.token", "without NUL" },
        { Inline + "'stages':[{'name':'a','timeout':'abc'}]}", "stages[0].timeout", "is not a duration" },
        { Inline + "'stages':[{'name':'a','timeout':'-00:00:01'}]}", "stages[0].timeout", "must be longer than 00:00:00" },
        { Inline + "'stages':[{'name':'a','timeout':'00:00:00'}]}", "stages[0].timeout", "must be longer than 00:00:00" },
        { Inline + "'stages':[{'name':'a','timeout':'99:00:00'}]}", "stages[0].timeout", "must be at most 02:30:00" },
        { Inline + "'stages':[{'name':'a','timeout':'00:00:05\\u0000'}]}", "stages[0].timeout", "control character U+0000" },
        { Inline + "'stages':[{'name':'a'},{'name':'b','queueTtl':'soon'}]}", "stages[1].queueTtl", "is not a duration" },
        { Inline + "'stages':[{'name':'v','run':{'image':'busybox','command':[]}}]}", "stages[0].run.command", "at least one argument" },
        { Inline + "'stages':[{'name':'v','run':{'image':'busybox','timeout':'later'}}]}", "stages[0].run.timeout", "is not a duration" },
        { Inline + "'stages':[{'name':'v','run':{'image':'Not An Image'}}]}", "stages[0].run.image", "neither a stage of this build nor an image reference" },
        { Inline + "'stages':[{'name':'v','run':{}}]}", "stages[0].run.image", "is required" },
        { Inline + "'stages':[{'name':'a'},{'name':'v','run':{'image':'a'}}]}", "stages[1].run.image", "stage 'a' has no image output to run (its output type is artifacts)" },
        { Inline + "'stages':[{'name':'a','output':{'type':'image'}},{'name':'v','run':{'image':'a'}}]}", "stages[1].run.image", "give its output a tag" },
        { Inline + "'stages':[{'name':'v','run':{'image':'busybox','env':{'1BAD':'x'}}}]}", "stages[0].run.env", "'1BAD' is not a valid environment variable name" },
        { Inline + "'stages':[{'name':'v','run':{'image':'busybox','env':{'TOKEN':'hunter2\\u0000'}}}]}", "stages[0].run.env.TOKEN", "without NUL" },
        { Inline + "'stages':[{'name':'v','run':{'image':'busybox','expectExitCode':256}}]}", "stages[0].run.expectExitCode", "from 0 to 255" },
        { Inline + "'stages':[{'name':'v','run':{'image':'busybox','runtime':'bad runtime'}}]}", "stages[0].run.runtime", "is not a runtime name" },
        { Inline + "'stages':[{'name':'v','target':'t','run':{'image':'busybox'}}]}", "stages[0].run", "builds nothing" },
        { Inline + "'stages':[{'name':'v','run':{'image':'busybox'}},{'name':'b','inputs':[{'stage':'v','path':'in'}]}]}", "stages[1].inputs[0].stage", "exports no artifacts" },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public async Task An_invalid_spec_is_a_400_naming_the_field(string json, string field, string message) =>
        Assert.Contains(await _api.RefusedAsync(json.Replace('\'', '"'), field), e => e.Contains(message));

    [Theory]
    [InlineData("{\"stages\": [", "bad-json")]
    [InlineData("{\"stages\": [{\"name\": \"a\", \"stage\": \"typo\"}]}", "bad-json")]
    [InlineData("{\"stages\": [{\"name\": \"a\", \"output\": {\"type\": \"tarball\"}}]}", "bad-json")]
    [InlineData("{\"stages\": [{\"name\": \"a\", \"output\": {\"type\": \"image, artifacts\"}}]}", "bad-json")]
    public async Task Malformed_JSON_is_a_400(string json, string type)
    {
        using var response = await PostAsync(json);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, type);
        Assert.NotNull(problem["field"]);
    }

    [Fact]
    public async Task A_context_that_is_not_an_archive_is_a_400()
    {
        var notAnArchive = Encoding.UTF8.GetBytes("this is not a tar archive, just text that goes on for a while ...........................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................");

        var detail = await InvalidContextDetailAsync(notAnArchive);

        Assert.Contains("tar", detail);
    }

    [Fact]
    public async Task A_context_entry_that_climbs_out_of_the_context_is_a_400()
    {
        var archive = Contexts.TarWith(new PaxTarEntry(TarEntryType.RegularFile, "../../etc/evil") { DataStream = new MemoryStream([1]) });

        var detail = await InvalidContextDetailAsync(archive);

        Assert.Contains("'..'", detail);
    }

    [Fact]
    public async Task A_context_link_pointing_out_of_the_context_is_a_400()
    {
        var archive = Contexts.TarWith(new PaxTarEntry(TarEntryType.SymbolicLink, "passwd") { LinkName = "/etc/passwd" });

        await InvalidContextDetailAsync(archive);
    }

    [Fact]
    public async Task A_context_without_the_Dockerfile_is_a_400()
    {
        var archive = Contexts.TarGz(new Dictionary<string, string> { ["README"] = "no Dockerfile here" });

        var detail = await InvalidContextDetailAsync(archive);

        Assert.Contains("Dockerfile", detail);
    }

    [Fact]
    public async Task A_context_over_the_size_limit_is_a_413()
    {
        var before = await _api.CountAsync();
        var big = new byte[ServiceFixture.MaxArchiveBytes + 1024];
        Random.Shared.NextBytes(big);

        using var response = await PostContextAsync(big);

        await BuildApi.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "too-large");
        Assert.Equal(before, await _api.CountAsync());
    }

    [Fact]
    public async Task A_multipart_request_without_a_context_part_is_a_400_naming_it()
    {
        var form = new MultipartFormDataContent { { new StringContent("{\"stages\":[{\"name\":\"a\"}]}"), "spec" } };

        using var response = await service.Client.PostAsync("/api/v1/builds", form);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-multipart");
        Assert.Equal("context", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_truncated_multipart_body_is_a_400()
    {
        var body = new StringContent("--cut\r\nContent-Disposition: form-data; name=\"spec\"\r\n\r\n{\"stages\":[{\"name\":\"a\"}]}\r\n--cut\r\nContent-Disposition: form-data; name=\"context\"\r\n\r\nnot finished");
        body.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=cut");

        using var response = await service.Client.PostAsync("/api/v1/builds", body);

        await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-multipart");
    }

    [Fact]
    public async Task A_wrong_content_type_is_a_415()
    {
        using var response = await service.Client.PostAsync("/api/v1/builds", new StringContent("stages: []", Encoding.UTF8, "text/yaml"));

        await BuildApi.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
    }

    [Fact]
    public async Task An_unknown_build_is_a_404_everywhere()
    {
        var id = Guid.NewGuid();
        foreach (var path in new[] { $"/api/v1/builds/{id}", $"/api/v1/builds/{id}/logs", $"/api/v1/builds/{id}/artifacts", $"/api/v1/builds/{id}/artifacts/a/b.txt" })
        {
            using var response = await service.Client.GetAsync(path);
            await BuildApi.ProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        }
        using var cancel = await service.Client.PostAsync($"/api/v1/builds/{id}/cancel", null);
        await BuildApi.ProblemAsync(cancel, HttpStatusCode.NotFound, "not-found");
    }

    [Theory]
    [InlineData("status=sleeping", "status")]
    [InlineData("status=queued,running", "status")]
    [InlineData("status=a,b", "status")]
    [InlineData("status=1", "status")]
    [InlineData("page=30000000", "page")]
    [InlineData("pageSize=1000", "pageSize")]
    public async Task A_bad_list_query_is_a_400_naming_the_parameter(string query, string field)
    {
        using var response = await service.Client.GetAsync($"/api/v1/builds?{query}");

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-query");
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        if (field == "status") Assert.Contains("queued, running", problem["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("timeout", "5")]
    [InlineData("queueTtl", "[\"00:00:05\"]")]
    public async Task A_duration_that_is_not_a_string_is_a_400_naming_its_field(string field, string value)
    {
        using var response = await PostAsync(Inline.Replace('\'', '"') + $"\"stages\":[{{\"name\":\"a\",\"{field}\":{value}}}]}}");
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-json");
        Assert.Equal($"stages[0].{field}", problem["field"]!.GetValue<string>());
    }

    private Task<HttpResponseMessage> PostAsync(string json) =>
        service.Client.PostAsync("/api/v1/builds", new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Submits a valid one-stage spec with <paramref name="context"/> as its uploaded build context.</summary>
    private Task<HttpResponseMessage> PostContextAsync(byte[] context) =>
        _api.PostMultipartAsync(new { stages = new[] { new { name = "a" } } }, context);

    /// <summary>Submits <paramref name="context"/>, expects a 400 invalid-context problem, and returns its detail.</summary>
    private async Task<string> InvalidContextDetailAsync(byte[] context)
    {
        using var response = await PostContextAsync(context);
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "invalid-context");
        return problem["detail"]!.GetValue<string>();
    }
}
