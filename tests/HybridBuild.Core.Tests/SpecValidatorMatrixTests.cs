using System.Text.Json;
using System.Text.Json.Serialization;

namespace HybridBuild.Core.Tests;

/// <summary>Matrix stages: how they expand into stages, how other stages refer to them, and what is refused.</summary>
public class SpecValidatorMatrixTests
{
    // as the API reads specs: an unknown property is an error, so this also shows a matrix's axes are not one
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>A spec from JSON written with single quotes, around <paramref name="stages"/> (the stages array's items).</summary>
    private static BuildSpec Spec(string stages) => JsonSerializer.Deserialize<BuildSpec>(
        ("{'source':{'git':{'url':'https://example.com/org/repo.git'}},'stages':[" + stages + "]}").Replace('\'', '"'), Strict)!;

    private static IReadOnlyDictionary<string, string[]> Validate(string stages, out List<Stage> expanded, int maxCombinations = 32) =>
        SpecValidator.Validate(Spec(stages), false, out expanded, new SpecLimits { MaxMatrixCombinations = maxCombinations });

    private static string ErrorAt(string stages, string field, int maxCombinations = 32)
    {
        var errors = Validate(stages, out _, maxCombinations);
        Assert.True(errors.ContainsKey(field), $"expected an error at '{field}', got: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}");
        return string.Join("; ", errors[field]);
    }

    [Fact]
    public void A_matrix_stage_expands_into_one_stage_per_value_with_the_build_argument_set()
    {
        var errors = Validate("{'name':'publish','buildArgs':{'config':'Release'},'matrix':{'dotnet_runtime':['win-x64','linux-x64','linux-musl-x64']}}", out var stages);

        Assert.Empty(errors);
        Assert.Equal(["publish-win-x64", "publish-linux-x64", "publish-linux-musl-x64"], stages.Select(s => s.Name));
        Assert.Equal(["win-x64", "linux-x64", "linux-musl-x64"], stages.Select(s => s.BuildArgs["dotnet_runtime"]));
        Assert.All(stages, s => Assert.Equal("Release", s.BuildArgs["config"]));
        Assert.All(stages, s => Assert.Equal(0, s.Ordinal));
        Assert.Equal([0, 1, 2], stages.Select(s => s.Matrix!.Index));
        Assert.All(stages, s => Assert.Equal("publish", s.Matrix!.Stage));
        Assert.Equal("linux-musl-x64", stages[2].Matrix!.Values["dotnet_runtime"]);
    }

    [Fact]
    public void Several_axes_make_the_cross_product_in_axis_order_less_the_excluded()
    {
        var errors = Validate("{'name':'app','matrix':{'os':['linux','win'],'arch':['x64','arm64'],'exclude':[{'os':'win','arch':'arm64'}]}}", out var stages);

        Assert.Empty(errors);
        Assert.Equal(["app-linux-x64", "app-linux-arm64", "app-win-x64"], stages.Select(s => s.Name));
        Assert.Equal(new Dictionary<string, string> { ["os"] = "win", ["arch"] = "x64" }, stages[2].Matrix!.Values);
        Assert.Equal("arm64", stages[1].BuildArgs["arch"]);
    }

    [Fact]
    public void An_exclude_naming_one_axis_leaves_out_every_combination_with_that_value()
    {
        Assert.Empty(Validate("{'name':'app','matrix':{'os':['linux','win'],'arch':['x64','arm64'],'exclude':[{'os':'win'}]}}", out var stages));

        Assert.Equal(["app-linux-x64", "app-linux-arm64"], stages.Select(s => s.Name));
    }

    [Fact]
    public void Needing_a_matrix_stage_waits_for_every_combination_and_its_inputs_go_to_a_folder_each()
    {
        var errors = Validate("{'name':'publish','matrix':{'rid':['a','b']}},"
            + "{'name':'pack','needs':['publish'],'inputs':[{'stage':'publish','path':'p/'}]}", out var stages);

        Assert.Empty(errors);
        var pack = stages.Single(s => s.Name == "pack");
        Assert.Equal(["publish-a", "publish-b"], pack.Needs);
        Assert.Equal([new StageInput("publish-a", "p/publish-a"), new StageInput("publish-b", "p/publish-b")], pack.Inputs);
        Assert.Null(pack.Matrix);
    }

    [Fact]
    public void One_combination_can_be_needed_and_taken_as_an_input_by_its_expanded_name()
    {
        var errors = Validate("{'name':'publish','matrix':{'rid':['a','b']}},"
            + "{'name':'pack','needs':['publish-b'],'inputs':[{'stage':'publish-a','path':'p'}]}", out var stages);

        Assert.Empty(errors);
        var pack = stages.Single(s => s.Name == "pack");
        Assert.Equal(["publish-b"], pack.Needs);
        Assert.Equal([new StageInput("publish-a", "p")], pack.Inputs);
    }

    [Fact]
    public void A_matrix_stage_needing_another_gives_each_combination_every_dependency()
    {
        Assert.Empty(Validate("{'name':'build','matrix':{'v':['1','2']}},{'name':'test','needs':['build'],'matrix':{'os':['x','y']}}", out var stages));

        Assert.All(stages.Where(s => s.Name.StartsWith("test-", StringComparison.Ordinal)), s => Assert.Equal(["build-1", "build-2"], s.Needs));
    }

    [Theory]
    [InlineData("{'name':'a','matrix':{}}", "stages[0].matrix", "at least one axis")]
    [InlineData("{'name':'a','matrix':{'bad-axis':['x']}}", "stages[0].matrix", "not a valid build argument name")]
    [InlineData("{'name':'a','matrix':{'v':[]}}", "stages[0].matrix.v", "at least one value")]
    [InlineData("{'name':'a','matrix':{'v':'x'}}", "stages[0].matrix.v", "must be a list")]
    [InlineData("{'name':'a','matrix':{'v':['x',1]}}", "stages[0].matrix.v[1]", "must be a string")]
    [InlineData("{'name':'a','matrix':{'v':['x',null]}}", "stages[0].matrix.v[1]", "must be a string")]
    [InlineData("{'name':'a','matrix':{'v':['x','y','no spaces']}}", "stages[0].matrix.v[2]", "cannot be part of a stage name")]
    [InlineData("{'name':'a','matrix':{'v':['x','linux/amd64']}}", "stages[0].matrix.v[1]", "cannot be part of a stage name")]
    [InlineData("{'name':'a','matrix':{'v':['x','\\u001b[2J']}}", "stages[0].matrix.v[1]", "control character")]
    [InlineData("{'name':'a','matrix':{'v':['x','y','x']}}", "stages[0].matrix.v[2]", "listed twice")]
    [InlineData("{'name':'a','buildArgs':{'v':'1'},'matrix':{'v':['x']}}", "stages[0].matrix.v", "also in buildArgs")]
    [InlineData("{'name':'a','matrix':{'v':['x'],'exclude':[{'w':'x'}]}}", "stages[0].matrix.exclude[0]", "'w' is not an axis")]
    [InlineData("{'name':'a','matrix':{'v':['x','y'],'exclude':[{'v':'z'}]}}", "stages[0].matrix.exclude[0].v", "'z' is not a value of axis 'v'")]
    [InlineData("{'name':'a','matrix':{'v':['x'],'exclude':[{}]}}", "stages[0].matrix.exclude[0]", "at least one axis")]
    [InlineData("{'name':'a','matrix':{'v':['x'],'exclude':[null]}}", "stages[0].matrix.exclude[0]", "not null")]
    [InlineData("{'name':'a','matrix':{'v':['x'],'exclude':[{'v':'x'}]}}", "stages[0].matrix.exclude", "leaves no combination")]
    [InlineData("{'name':'a','matrix':{'v':['x']},'output':{'type':'image','tags':['example.com/a:1']}}", "stages[0].output.tags", "cannot take tags")]
    [InlineData("{'name':'a-x'},{'name':'a','matrix':{'v':['x','y']}}", "stages[1].matrix", "'a-x', which is the name of stages[0]")]
    [InlineData("{'name':'a','matrix':{'v':['x-y','x'],'w':['z','y-z']}}", "stages[0].matrix", "'a-x-y-z' twice")]
    [InlineData("{'name':'a','matrix':{'v':['b-c']}},{'name':'a-b','matrix':{'w':['c']}}", "stages[1].matrix", "which the matrix of stages[0] makes too")]
    [InlineData("{'name':'a','needs':['a-x'],'matrix':{'v':['x','y']}}", "stages[0].needs[0]", "own combinations")]
    [InlineData("{'name':'a','matrix':{'v':['x']},'output':{'type':'none'}},{'name':'b','inputs':[{'stage':'a','path':'p'}]}", "stages[1].inputs[0].stage", "does not export artifacts")]
    [InlineData("{'name':'a','matrix':{'v':['x']}},{'name':'b','needs':['a-y']}", "stages[1].needs[0]", "'a-y' is not a stage")]
    public void An_invalid_matrix_is_refused_naming_the_field(string stages, string field, string message) =>
        Assert.Contains(message, ErrorAt(stages, field));

    [Fact]
    public void More_combinations_than_configured_are_refused_and_exclude_counts()
    {
        const string matrix = "{'name':'a','matrix':{'v':['1','2','3'],'w':['1','2']EXCLUDE}}";

        Assert.Contains("makes 6 combinations; at most 5", ErrorAt(matrix.Replace("EXCLUDE", ""), "stages[0].matrix", maxCombinations: 5));
        Assert.Empty(Validate(matrix.Replace("EXCLUDE", ",'exclude':[{'v':'3','w':'2'}]"), out var stages, maxCombinations: 5));
        Assert.Equal(5, stages.Count);
    }

    [Fact]
    public void A_huge_cross_product_is_refused_without_expanding_it()
    {
        var values = string.Join(',', Enumerable.Range(0, 60).Select(i => $"'{i}'"));
        var axes = string.Join(',', Enumerable.Range(0, 8).Select(i => $"'a{i}':[{values}]"));

        Assert.Contains("at most 32 are allowed", ErrorAt("{'name':'s','matrix':{" + axes + "}}", "stages[0].matrix"));
    }

    [Fact]
    public void An_axis_with_far_more_values_than_the_limit_is_refused_at_once()
    {
        var values = string.Join(',', Enumerable.Range(0, 5000).Select(i => "'bad value'"));

        var error = ErrorAt("{'name':'s','matrix':{'v':[" + values + "]}}", "stages[0].matrix.v");

        Assert.Contains("lists 5000 values", error);
        Assert.DoesNotContain("stages[0].matrix.v[0]", Validate("{'name':'s','matrix':{'v':[" + values + "]}}", out _).Keys);
    }

    [Fact]
    public void A_name_in_a_request_stands_for_its_stage_or_every_combination_of_a_matrix_stage()
    {
        Assert.Empty(Validate("{'name':'publish','matrix':{'v':['b','a']}},{'name':'pack'}", out var stages));

        Assert.Equal(["publish-b", "publish-a"], StageNames.Resolve(stages, "publish"));
        Assert.Equal(["publish-a"], StageNames.Resolve(stages, "publish-a"));
        Assert.Equal(["pack"], StageNames.Resolve(stages, "pack"));
        Assert.Empty(StageNames.Resolve(stages, "ghost"));
        Assert.Equal(["pack", "publish-b", "publish-a"], StageNames.ResolveAll(stages, ["pack", "publish", "publish-a"]));
        Assert.Null(StageNames.ResolveAll(stages, null));
    }

    [Fact]
    public void An_expanded_name_longer_than_a_stage_name_may_be_is_refused()
    {
        Assert.Contains("longer than 63 characters", ErrorAt($"{{'name':'{new string('a', 40)}','matrix':{{'v':['{new string('b', 30)}']}}}}", "stages[0].matrix"));
    }

    [Fact]
    public void Matrices_expanding_past_the_stage_bound_are_refused()
    {
        var values = string.Join(',', Enumerable.Range(0, 32).Select(i => $"'{i}'"));
        var stages = string.Join(',', Enumerable.Range(0, 9).Select(i => $"{{'name':'s{i}','matrix':{{'v':[{values}]}}}}"));

        Assert.Contains("288 stages; at most 256", ErrorAt(stages, "stages"));
    }

    [Fact]
    public void A_cycle_through_a_combination_is_found()
    {
        Assert.Contains("cycle", ErrorAt("{'name':'a','needs':['b'],'matrix':{'v':['x','y']}},{'name':'b','needs':['a-y']}", "stages"));
    }
}
