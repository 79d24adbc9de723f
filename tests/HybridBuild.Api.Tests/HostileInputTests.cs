namespace HybridBuild.Api.Tests;

/// <summary>Requests a client would not send by accident get a problem that names what was wrong: never a 500, never Kestrel's empty 400.</summary>
[Collection(LiveService.Name)]
public sealed class HostileInputTests(ServiceFixture service)
{
    [Fact]
    public async Task A_non_ASCII_Idempotency_Key_is_a_400_naming_the_header()
    {
        // HttpClient refuses non-ASCII header values unless told how to encode them: this sends the UTF-8 bytes of 'ключ'
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 };
        using var client = new HttpClient(handler) { BaseAddress = service.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/builds")
        {
            Content = new StringContent("{\"stages\":[{\"name\":\"a\"}]}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServiceFixture.AdminKey);
        Assert.True(request.Headers.TryAddWithoutValidation("Idempotency-Key", "ключ"));

        using var response = await client.SendAsync(request);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-idempotency-key");
        Assert.Equal("Idempotency-Key", problem["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_JSON_body_over_the_default_limit_is_a_413()
    {
        var big = "{\"value\":\"" + new string('x', 9 << 20) + "\"}";

        // the client waits for 100 Continue, so it reads the early 413 instead of a reset while still sending
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/secrets/too-big") { Content = new StringContent(big, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;

        using var response = await service.Client.SendAsync(request);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "too-large");
        Assert.Contains("too large", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_API_description_still_lists_an_enum_by_its_names()
    {
        var document = JsonNode.Parse(await service.Client.GetStringAsync("/swagger/v1/swagger.json"))!;

        var outputType = document["components"]!["schemas"]!["OutputType"]!;
        Assert.Equal("string", outputType["type"]!.GetValue<string>());
        Assert.Equal(["artifacts", "image", "none", "oci", "docker"], outputType["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Theory]
    [InlineData("/api/v1/builds?page=abc", "page")]
    [InlineData("/api/v1/builds/00000000-0000-0000-0000-000000000000/logs?follow=maybe", "follow")]
    public async Task A_query_value_of_the_wrong_type_is_a_400_naming_it(string path, string parameter)
    {
        using var response = await service.Client.GetAsync(path);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        Assert.Contains(parameter, problem["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("GET", "/api/v1/builds/00000000-0000-0000-0000-000000000000/logs?stage=a%00b", "stage")]
    [InlineData("GET", "/api/v1/builds/00000000-0000-0000-0000-000000000000/artifacts/out?format=zip%00", "format")]
    [InlineData("GET", "/api/v1/builds?status=queued%00", "status")]
    public async Task A_NUL_in_the_query_is_a_400_naming_the_parameter(string method, string path, string field)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{\"value\":\"v\"}", Encoding.UTF8, "application/json") };

        using var response = await service.Client.SendAsync(request);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-query");
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.Contains("NUL", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_multipart_boundary_over_70_characters_is_a_400_naming_the_boundary()
    {
        var boundary = new string('b', 71);
        var body = new StringContent($"--{boundary}\r\nContent-Disposition: form-data; name=\"spec\"\r\n\r\n{{}}\r\n--{boundary}--\r\n");
        body.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");

        using var response = await service.Client.PostAsync("/api/v1/builds", body);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-multipart");
        Assert.Equal("boundary", problem["field"]!.GetValue<string>());
        Assert.Contains("70", problem["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/v1/builds/a%00b")]
    [InlineData("/api/v1/builds/00000000-0000-0000-0000-000000000000/artifacts/out/a%00.txt")]
    public async Task A_NUL_in_the_path_is_a_problem_not_Kestrels_empty_400(string path)
    {
        // Kestrel refuses this before the service runs; on a connection that already carried a request, as clients reuse them
        using (var first = await service.Client.GetAsync("/api/v1/builds?pageSize=1")) Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var response = await service.Client.GetAsync(path);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "bad-request");
        Assert.Contains("%00", problem["detail"]!.GetValue<string>());
        // and the next request is answered as usual
        using var next = await service.Client.GetAsync("/api/v1/builds?pageSize=1");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task A_request_line_over_the_limit_is_a_414_problem()
    {
        using var response = await service.Client.GetAsync("/api/v1/builds?x=" + new string('a', 9 * 1024));

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.RequestUriTooLong, "uri-too-long");
        Assert.Contains("8 KiB", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Headers_over_the_limit_are_a_431_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/builds");
        for (var i = 0; i < 101; i++) request.Headers.TryAddWithoutValidation($"X-Filler-{i}", "x");

        using var response = await service.Client.SendAsync(request);

        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large");
        Assert.Contains("100 headers", problem["detail"]!.GetValue<string>());
    }
}
