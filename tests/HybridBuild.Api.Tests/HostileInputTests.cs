using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using HybridBuild.Api.Tests.Infrastructure;

namespace HybridBuild.Api.Tests;

/// <summary>Requests a client would not send by accident get a problem that names what was wrong: never a 500, never Kestrel's empty 400.</summary>
[Collection(LiveService.Name)]
public sealed class HostileInputTests(ServiceFixture service)
{
    [Fact]
    public async Task The_API_description_still_lists_an_enum_by_its_names()
    {
        var document = JsonNode.Parse(await service.Client.GetStringAsync("/swagger/v1/swagger.json"))!;

        var outputType = document["components"]!["schemas"]!["OutputType"]!;
        Assert.Equal("string", outputType["type"]!.GetValue<string>());
        Assert.Equal(["artifacts", "image", "none"], outputType["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
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
}
