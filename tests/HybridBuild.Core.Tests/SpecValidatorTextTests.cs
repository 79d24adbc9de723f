namespace HybridBuild.Core.Tests;

/// <summary>Control characters, nulls in lists and lengths beyond a column, in every string field of a spec.</summary>
public class SpecValidatorTextTests
{
    private static readonly GitSourceSpec Git = new() { Url = "https://example.com/org/repo.git", Ref = "main" };

    /// <summary>A valid spec touching every field: two stages, an image output, an input, a secret and a publication.</summary>
    private static BuildSpec Valid(
        StageSpec? first = null, StageSpec? second = null, GitSourceSpec? git = null, PublishSpec? publish = null, string? dockerfile = "Dockerfile") => new()
    {
        Source = new SourceSpec { Git = git ?? Git },
        Dockerfile = dockerfile,
        Stages =
        [
            first ?? new StageSpec
            {
                Name = "a", Target = "build", BuildArgs = new() { ["V"] = "1" }, Platforms = ["linux/amd64"], Secrets = ["token"],
            },
            second ?? new StageSpec
            {
                Name = "b", Needs = ["a"], Inputs = [new StageInputSpec { Stage = "a", Path = "in" }],
                Output = new OutputSpec { Type = OutputType.Image, Tags = ["team/app:1"] },
            },
        ],
        Publish = [publish ?? new PublishSpec { Target = "t", Stages = ["a"], Path = "p/{file}", Properties = new() { ["k"] = "v" } }],
    };

    private static StageSpec First => Valid().Stages![0];
    private static StageSpec Second => Valid().Stages![1];
    private static PublishSpec Publish => Valid().Publish![0];

    private static IReadOnlyDictionary<string, string[]> Validate(BuildSpec spec) => SpecValidator.Validate(spec, contextUploaded: false, out _);

    private static string[] ErrorsAt(IReadOnlyDictionary<string, string[]> errors, string field)
    {
        Assert.True(errors.ContainsKey(field), $"expected an error at '{field}', got: {string.Join(", ", errors.Keys)}");
        return errors[field];
    }

    [Fact]
    public void The_valid_spec_these_tests_change_one_field_of_passes()
    {
        Assert.Empty(Validate(Valid()));
    }

    public static TheoryData<string, BuildSpec> WithControlCharacters(string c) => new()
    {
        { "stages[1].name", Valid(second: Second with { Name = $"b{c}" }) }, // nothing needs 'b', so no error follows from it
        { "stages[0].target", Valid(First with { Target = $"build{c}" }) },
        { "stages[0].buildArgs", Valid(First with { BuildArgs = new() { [$"V{c}"] = "1" } }) },
        { "stages[0].platforms[0]", Valid(First with { Platforms = [$"linux/amd64{c}"] }) },
        { "stages[0].secrets[0]", Valid(First with { Secrets = [$"token{c}"] }) },
        { "stages[1].needs[0]", Valid(second: Second with { Needs = [$"a{c}"] }) },
        { "stages[1].inputs[0].stage", Valid(second: Second with { Inputs = [new StageInputSpec { Stage = $"a{c}", Path = "in" }] }) },
        { "stages[1].inputs[0].path", Valid(second: Second with { Inputs = [new StageInputSpec { Stage = "a", Path = $"in{c}" }] }) },
        { "stages[1].output.tags[0]", Valid(second: Second with { Output = new OutputSpec { Type = OutputType.Image, Tags = [$"team/app:1{c}"] } }) },
        { "dockerfile", Valid(dockerfile: $"Dockerfile{c}") },
        { "source.git.url", Valid(git: Git with { Url = $"https://example.com/org/repo.git{c}" }) },
        { "source.git.ref", Valid(git: Git with { Ref = $"main{c}" }) },
        { "publish[0].target", Valid(publish: Publish with { Target = $"t{c}" }) },
        { "publish[0].stages[0]", Valid(publish: Publish with { Stages = [$"a{c}"] }) },
        { "publish[0].path", Valid(publish: Publish with { Path = $"p/{c}{{file}}" }) },
        { "publish[0].properties", Valid(publish: Publish with { Properties = new() { [$"k{c}"] = "v" } }) },
        { "publish[0].properties.k", Valid(publish: Publish with { Properties = new() { ["k"] = $"v{c}" } }) },
    };

    public static TheoryData<string, BuildSpec> WithNul => WithControlCharacters("\0");
    public static TheoryData<string, BuildSpec> WithTrailingNewline => WithControlCharacters("\n");
    public static TheoryData<string, BuildSpec> WithEscape => WithControlCharacters("\u001b[2J");
    public static TheoryData<string, BuildSpec> WithC1 => WithControlCharacters("\u0085");

    [Theory]
    [MemberData(nameof(WithNul))]
    [MemberData(nameof(WithTrailingNewline))]
    [MemberData(nameof(WithEscape))]
    [MemberData(nameof(WithC1))]
    public void A_control_character_in_a_name_ref_path_or_tag_is_refused_at_its_field(string field, BuildSpec spec)
    {
        var errors = Validate(spec);

        var message = Assert.Single(ErrorsAt(errors, field));
        Assert.DoesNotContain(message, char.IsControl);
        Assert.Single(errors); // nothing else in the spec is wrong
    }

    [Theory]
    [InlineData("line one\nline two\r\n")]
    [InlineData("a\tb")]
    public void A_build_argument_value_may_hold_tabs_and_line_breaks(string value)
    {
        Assert.Empty(Validate(Valid(First with { BuildArgs = new() { ["V"] = value } })));
    }

    [Theory]
    [InlineData("x\u0000y", "without NUL")]
    [InlineData("x\u001b[2Jy", "control character U+001B")]
    [InlineData("x\u0085y", "control character U+0085")]
    public void A_build_argument_value_with_another_control_character_is_refused(string value, string message)
    {
        var errors = Validate(Valid(First with { BuildArgs = new() { ["V"] = value } }));

        Assert.Contains(message, Assert.Single(ErrorsAt(errors, "stages[0].buildArgs.V")));
    }

    [Fact]
    public void Inline_file_content_may_hold_any_control_character_but_NUL()
    {
        BuildSpec Inline(string content) => Valid() with
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM scratch\n", ["data"] = content } } },
        };

        Assert.Empty(Validate(Inline("\u001b[1m bold \u0007\r\n\t\u0085")));
        Assert.Contains("'data'", Assert.Single(ErrorsAt(Validate(Inline("a\0b")), "source.inline.files")));
    }

    [Theory]
    [InlineData("main\n")]
    [InlineData("build\n")]
    public void Patterns_do_not_take_a_trailing_newline(string value)
    {
        // '$' matches before a final newline; the secret endpoints use these patterns directly
        Assert.DoesNotMatch(SpecRules.GitRef(), value);
        Assert.DoesNotMatch(SpecRules.StageName(), value);
        Assert.DoesNotMatch(SpecRules.Target(), value);
        Assert.False(SpecRules.IsSecretName(value));
        Assert.DoesNotMatch(SpecRules.BuildArgName(), value);
        Assert.DoesNotMatch(SpecRules.Platform(), "linux/amd64\n");
        Assert.DoesNotMatch(SpecRules.ImageReference(), "team/app\n");
    }

    // ---------- nulls inside lists ----------

    public static TheoryData<string, BuildSpec> WithNullElements => new()
    {
        { "stages[1]", Valid() with { Stages = [First, null!] } },
        { "stages[0].platforms[0]", Valid(First with { Platforms = [null!] }) },
        { "stages[0].secrets[0]", Valid(First with { Secrets = [null!] }) },
        { "stages[1].needs[0]", Valid(second: Second with { Needs = [null!] }) },
        { "stages[1].inputs[0]", Valid(second: Second with { Inputs = [null!] }) },
        { "stages[1].output.tags[0]", Valid(second: Second with { Output = new OutputSpec { Type = OutputType.Image, Tags = [null!] } }) },
        { "publish[0]", Valid() with { Publish = [null!] } },
        { "publish[0].stages[0]", Valid(publish: Publish with { Stages = [null!] }) },
        { "publish[0].properties.k", Valid(publish: Publish with { Properties = new() { ["k"] = null! } }) },
        {
            "source.inline.executables[0]",
            Valid() with { Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "x" }, Executables = [null!] } } }
        },
    };

    [Theory]
    [MemberData(nameof(WithNullElements))]
    public void A_null_inside_a_list_is_an_error_at_its_index(string field, BuildSpec spec)
    {
        var errors = Validate(spec);

        Assert.Contains("not null", Assert.Single(ErrorsAt(errors, field)));
        Assert.Single(errors);
    }

    // ---------- lengths beyond the database columns ----------

    public static TheoryData<string, BuildSpec, BuildSpec> AtAndBeyondTheirColumns => new()
    {
        // stages.target is 128
        { "stages[0].target", Valid(First with { Target = "t" + new string('x', 127) }), Valid(First with { Target = "t" + new string('x', 128) }) },
        // builds.git_ref is 255
        { "source.git.ref", Valid(git: Git with { Ref = new string('r', 255) }), Valid(git: Git with { Ref = new string('r', 256) }) },
        // builds.dockerfile is 1024
        { "dockerfile", Valid(dockerfile: "d/" + new string('f', 250) + "/" + new string('f', 250) + "/" + new string('f', 250) + "/" + new string('f', 269)),
            Valid(dockerfile: "d/" + new string('f', 250) + "/" + new string('f', 250) + "/" + new string('f', 250) + "/" + new string('f', 270)) },
        // publications.target is 100, publications.path_template 1024
        { "publish[0].target", Valid(publish: Publish with { Target = new string('t', 100) }), Valid(publish: Publish with { Target = new string('t', 101) }) },
        { "publish[0].path", Valid(publish: Publish with { Path = new string('p', 1024) }), Valid(publish: Publish with { Path = new string('p', 1025) }) },
        { "publish[0].stages[0]", Valid(publish: Publish with { Stages = [new string('s', 63)] }), Valid(publish: Publish with { Stages = [new string('s', 64)] }) },
        { "publish[0].properties", Valid(publish: Publish with { Properties = new() { [new string('k', 255)] = "v" } }),
            Valid(publish: Publish with { Properties = new() { [new string('k', 256)] = "v" } }) },
        { "publish[0].properties.k", Valid(publish: Publish with { Properties = new() { ["k"] = new string('v', 4000) } }),
            Valid(publish: Publish with { Properties = new() { ["k"] = new string('v', 4001) } }) },
        { "stages[0].buildArgs", Valid(First with { BuildArgs = new() { [new string('A', 128)] = "1" } }), Valid(First with { BuildArgs = new() { [new string('A', 129)] = "1" } }) },
    };

    [Theory]
    [MemberData(nameof(AtAndBeyondTheirColumns))]
    public void A_string_as_long_as_its_column_passes_and_one_longer_is_refused(string field, BuildSpec fits, BuildSpec tooLong)
    {
        Assert.Empty(Validate(fits));
        var errors = Validate(tooLong);

        Assert.Single(ErrorsAt(errors, field));
        Assert.Single(errors);
    }
}
