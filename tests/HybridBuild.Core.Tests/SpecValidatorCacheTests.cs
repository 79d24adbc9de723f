using System.Text.Json;
using System.Text.Json.Serialization;

namespace HybridBuild.Core.Tests;

/// <summary>Cache settings of a spec: buildx's entries as the service takes them, and what is refused.</summary>
public class SpecValidatorCacheTests
{
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static IReadOnlyDictionary<string, string[]> Validate(string spec, out List<Stage> stages) => SpecValidator.Validate(
        JsonSerializer.Deserialize<BuildSpec>(("{'source':{'git':{'url':'https://example.com/org/repo.git'}}," + spec + "}").Replace('\'', '"'), Strict)!,
        false, out stages);

    private static string ErrorAt(string spec, string field)
    {
        var errors = Validate(spec, out _);
        Assert.True(errors.ContainsKey(field), $"expected an error at '{field}', got: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}");
        return string.Join("; ", errors[field]);
    }

    [Fact]
    public void Registry_entries_are_parsed_in_buildxs_form_and_a_bare_reference_is_a_registry_import()
    {
        var errors = Validate("'stages':[{'name':'s','cache':{'from':['r.example.com/app:cache','type=registry,ref=r.example.com/app:main'],"
            + "'to':['type=registry,ref=r.example.com/app:cache,mode=max,compression=zstd']}}]", out var stages);

        Assert.Empty(errors);
        var cache = stages.Single().Cache;
        Assert.Equal(["type=registry,ref=r.example.com/app:cache", "type=registry,ref=r.example.com/app:main"], cache.From.Select(e => e.ToString()));
        Assert.Equal("type=registry,compression=zstd,mode=max,ref=r.example.com/app:cache", cache.To.Single().ToString());
        Assert.False(cache.NoCache);
    }

    [Fact]
    public void Inline_export_takes_an_image_output_and_nothing_else()
    {
        Assert.Empty(Validate("'stages':[{'name':'s','output':{'type':'image','tags':['r.example.com/app:1']},'cache':{'to':['type=inline']}}]", out _));
        Assert.Contains("needs an image output", ErrorAt("'stages':[{'name':'s','cache':{'to':['type=inline']}}]", "stages[0].cache.to[0]"));
        Assert.Contains("read from the image", ErrorAt("'stages':[{'name':'s','cache':{'from':['type=inline']}}]", "stages[0].cache.from[0]"));
    }

    [Theory]
    [InlineData("type=local,dest=/etc", "not a cache type")]
    [InlineData("type=gha", "not a cache type")]
    [InlineData("type=registry", "needs ref=")]
    [InlineData("type=registry,ref=Not A Ref", "needs ref=")]
    [InlineData("type=registry,ref=r.example.com/a:c,mode=all", "mode must be one of")]
    [InlineData("type=registry,ref=r.example.com/a:c,dest=/tmp", "'dest' is not an attribute")]
    [InlineData("type=registry,ref=r.example.com/a:c,ref=r.example.com/b:c", "given twice")]
    [InlineData("type=registry,,ref=r.example.com/a:c", "is not key=value")]
    public void Cache_exports_the_service_does_not_take_are_refused_naming_the_entry(string entry, string message) =>
        Assert.Contains(message, ErrorAt($"'stages':[{{'name':'s','cache':{{'to':['{entry}']}}}}]", "stages[0].cache.to[0]"));

    [Fact]
    public void A_build_wide_noCache_reaches_every_stage_and_makes_a_filter_needless()
    {
        Assert.Empty(Validate("'noCache':true,'stages':[{'name':'a'},{'name':'b','noCacheFilter':[]}]", out var stages));
        Assert.All(stages, s => Assert.True(s.Cache.NoCache));
        Assert.Contains("needless", ErrorAt("'noCache':true,'stages':[{'name':'a','noCacheFilter':['build']}]", "stages[0].noCacheFilter"));
        Assert.Contains("not a valid Dockerfile stage name", ErrorAt("'stages':[{'name':'a','noCacheFilter':['1x']}]", "stages[0].noCacheFilter[0]"));
    }

    [Fact]
    public void A_matrix_stage_may_import_but_not_export_to_one_registry_reference()
    {
        Assert.Empty(Validate("'stages':[{'name':'p','matrix':{'v':['a','b']},'cache':{'from':['r.example.com/app:cache']}}]", out var stages));
        Assert.All(stages, s => Assert.Single(s.Cache.From));
        Assert.Contains("every combination would write the same reference",
            ErrorAt("'stages':[{'name':'p','matrix':{'v':['a','b']},'cache':{'to':['r.example.com/app:cache']}}]", "stages[0].cache.to"));
    }
}
