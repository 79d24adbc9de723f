namespace HybridBuild.Api.Tests;

/// <summary>Matrix stages over HTTP: expanded at submission, run once per value, and taken by the stages that need them.</summary>
[Collection(LiveService.Name)]
public sealed class MatrixTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    // each combination exports v.txt holding its value; "gather" lists what its inputs placed, "picked" copies one file
    private const string Dockerfile = """
        FROM busybox AS b
        ARG v
        RUN echo $v > /v.txt
        FROM scratch AS out
        COPY --from=b /v.txt /

        FROM busybox AS gather
        ARG nonce
        COPY p /p
        RUN echo "gather $nonce" && for d in /p/*/; do echo "$(basename $d)=$(cat $d/v.txt)"; done > /all.txt
        FROM scratch AS gathered
        COPY --from=gather /all.txt /

        FROM scratch AS picked
        COPY p/v.txt /picked.txt
        """;

    // JSON written with single quotes for readability; turned into double quotes before sending
    private const string Inline = "{'source':{'inline':{'files':{'Dockerfile':'FROM scratch'}}},";

    [Fact]
    public async Task A_matrix_stage_runs_once_per_value_and_the_stages_needing_it_get_every_combination_or_the_one_they_name()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = Dockerfile } } },
            Stages =
            [
                new StageSpec { Name = "publish", Target = "out", Matrix = Matrix("v", "alpha", "beta", "gamma") },
                new StageSpec
                {
                    Name = "gather", Target = "gathered", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") },
                    Needs = ["publish"], Inputs = [new StageInputSpec { Stage = "publish", Path = "p" }],
                },
                new StageSpec { Name = "one", Target = "picked", Inputs = [new StageInputSpec { Stage = "publish-beta", Path = "p" }] },
            ],
        };

        var accepted = await _api.SubmitAsync(spec);
        var done = await _api.WaitSucceededAsync(accepted.Id);

        string[] expanded = ["publish-alpha", "publish-beta", "publish-gamma"];
        Assert.Equal([.. expanded, "gather", "one"], done.Stages.Select(s => s.Name));
        var gather = done.Stages.Single(s => s.Name == "gather");
        Assert.Equal(expanded, gather.Needs);
        Assert.All(done.Stages.Where(s => expanded.Contains(s.Name)), s => Assert.True(s.FinishedAt <= gather.StartedAt, $"{s.Name} finished before gather started"));
        foreach (var value in new[] { "alpha", "beta", "gamma" })
            Assert.Equal($"{value}\n", await service.Client.GetStringAsync($"/api/v1/builds/{accepted.Id}/artifacts/publish-{value}/v.txt"));
        Assert.Equal("publish-alpha=alpha\npublish-beta=beta\npublish-gamma=gamma\n",
            await service.Client.GetStringAsync($"/api/v1/builds/{accepted.Id}/artifacts/gather/all.txt"));
        Assert.Equal("beta\n", await service.Client.GetStringAsync($"/api/v1/builds/{accepted.Id}/artifacts/one/picked.txt"));

        // what a client groups the combinations by
        var stages = (await service.Client.GetFromJsonAsync<JsonObject>($"/api/v1/builds/{accepted.Id}"))!["stages"]!.AsArray();
        Assert.Equal("""{"stage":"publish","values":{"v":"beta"}}""", stages[1]!["matrix"]!.ToJsonString());
        Assert.Equal("beta", stages[1]!["buildArgs"]!["v"]!.GetValue<string>());
        Assert.Null(stages[3]!["matrix"]);

        // the log of the matrix stage is its combinations' logs, each line marked with its combination
        var log = await _api.LogAsync(accepted.Id, "publish");
        Assert.All(expanded, name => Assert.Contains($"[{name}] ", log));
        Assert.DoesNotContain("[gather]", log);
        Assert.DoesNotContain("[publish-", await _api.LogAsync(accepted.Id, "publish-beta")); // one combination: unmarked
        Assert.Contains("gather ", await _api.LogAsync(accepted.Id, "gather"));

        // a publication naming the matrix stage takes every combination
        using var planned = await service.Client.PostAsJsonAsync($"/api/v1/builds/{accepted.Id}/publications",
            new { target = "artifactory-test", stages = new[] { "publish" }, dryRun = true });
        Assert.Equal(HttpStatusCode.OK, planned.StatusCode);
        var plan = (await planned.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(expanded, plan["stages"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(expanded, plan["files"]!.AsArray().Select(f => f!["stage"]!.GetValue<string>()).Order());
    }

    public static TheoryData<string, string, string> InvalidMatrices => new()
    {
        { "{'name':'a','matrix':{'bad-axis':['x']}}", "stages[0].matrix", "not a valid build argument name" },
        { "{'name':'a','matrix':{'v':[]}}", "stages[0].matrix.v", "at least one value" },
        { "{'name':'a'},{'name':'b','matrix':{'v':['x','y','no/slash']}}", "stages[1].matrix.v[2]", "cannot be part of a stage name" },
        { "{'name':'a','matrix':{'v':['x','x']}}", "stages[0].matrix.v[1]", "listed twice" },
        { "{'name':'a','buildArgs':{'v':'1'},'matrix':{'v':['x']}}", "stages[0].matrix.v", "also in buildArgs" },
        { "{'name':'a-x'},{'name':'a','matrix':{'v':['x','y']}}", "stages[1].matrix", "'a-x', which is the name of stages[0]" },
        { "{'name':'a','matrix':{'v':['x','y'],'exclude':[{'w':'x'}]}}", "stages[0].matrix.exclude[0]", "'w' is not an axis" },
        { "{'name':'a','matrix':{'v':['x','y'],'exclude':[{'v':'z'}]}}", "stages[0].matrix.exclude[0].v", "'z' is not a value of axis 'v'" },
        // the test service allows 4 (ServiceFixture.MaxMatrixCombinations)
        { "{'name':'a','matrix':{'v':['1','2','3'],'w':['1','2']}}", "stages[0].matrix", "makes 6 combinations; at most 4 are allowed (Limits:MaxMatrixCombinations)" },
        { "{'name':'a','matrix':{'v':['x']}},{'name':'b','needs':['a-y']}", "stages[1].needs[0]", "'a-y' is not a stage" },
        { "{'name':'a','matrix':{'v':['x']}}],'publish':[{'target':'artifactory-test','stages':['a-y']}", "publish[0].stages", "'a-y' is not a stage" },
    };

    [Theory]
    [MemberData(nameof(InvalidMatrices))]
    public async Task An_invalid_matrix_is_a_400_naming_the_field(string stages, string field, string message) =>
        Assert.Contains(await _api.RefusedAsync((Inline + "'stages':[" + stages + "]}").Replace('\'', '"'), field), e => e.Contains(message));

    [Fact]
    public async Task A_matrix_within_the_configured_combinations_after_exclude_is_accepted_and_publish_may_name_it()
    {
        using var response = await _api.PostJsonAsync(JsonNode.Parse((Inline
            + "'stages':[{'name':'a','matrix':{'v':['1','2','3'],'w':['1','2'],'exclude':[{'v':'3'}]},'output':{'type':'none'}}],"
            + "'publish':[{'target':'artifactory-test','stages':['a'],'path':'matrix/{buildId}/{stage}/{path}'}]}").Replace('\'', '"'))!);

        var build = await BuildApi.AcceptedAsync(response);
        Assert.Equal(["a-1-1", "a-1-2", "a-2-1", "a-2-2"], build.Stages.Select(s => s.Name));
    }

    [Fact]
    public async Task The_Swagger_matrix_example_is_a_valid_spec_that_expands_into_one_stage_per_runtime()
    {
        var document = await service.Client.GetFromJsonAsync<JsonObject>("/swagger/v1/swagger.json");
        var example = document!["paths"]!["/api/v1/builds"]!["post"]!["requestBody"]!["content"]!["application/json"]!["examples"]!["matrix"]!["value"]!;
        var axes = document["components"]!["schemas"]!["MatrixSpec"]!["additionalProperties"]!;
        Assert.Equal("array", axes["type"]!.GetValue<string>());

        var spec = example.Deserialize<BuildSpec>(ApiJson.Strict)!;

        Assert.Empty(SpecValidator.Validate(spec, contextUploaded: false, out var stages));
        Assert.Equal(["publish-win-x64", "publish-linux-x64", "publish-linux-musl-x64"], stages.Select(s => s.Name));
        Assert.Equal(["win-x64", "linux-x64", "linux-musl-x64"], stages.Select(s => s.BuildArgs["dotnet_runtime"]));
    }

    private static MatrixSpec Matrix(string axis, params string[] values) =>
        new() { Axes = new() { [axis] = JsonSerializer.SerializeToElement(values) } };
}
