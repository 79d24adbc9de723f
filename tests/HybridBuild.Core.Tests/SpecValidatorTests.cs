namespace HybridBuild.Core.Tests;

public class SpecValidatorTests
{
    private static readonly SourceSpec GitSource = new() { Git = new GitSourceSpec { Url = "https://example.com/org/repo.git" } };

    private static BuildSpec Spec(params StageSpec[] stages) => new() { Source = GitSource, Stages = [.. stages] };

    private static StageSpec Stage(string name, params string[] needs) => new() { Name = name, Needs = [.. needs] };

    private static IReadOnlyDictionary<string, string[]> Validate(BuildSpec spec, bool contextUploaded = false) =>
        SpecValidator.Validate(spec, contextUploaded, out _);

    private static string[] ErrorsAt(IReadOnlyDictionary<string, string[]> errors, string field)
    {
        Assert.True(errors.ContainsKey(field), $"expected an error at '{field}', got: {string.Join(", ", errors.Keys)}");
        return errors[field];
    }

    [Fact]
    public void A_valid_spec_passes_and_is_turned_into_stages()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Git = new GitSourceSpec { Url = "https://example.com/org/repo.git", Ref = "main" } },
            Dockerfile = "build/Dockerfile",
            Stages =
            [
                new StageSpec
                {
                    Name = "compile",
                    Target = "build",
                    BuildArgs = new() { ["VERSION"] = "1.2" },
                    Platforms = ["linux/amd64", "linux/arm64"],
                },
                new StageSpec
                {
                    Name = "image",
                    Needs = ["compile"],
                    Inputs = [new StageInputSpec { Stage = "compile", Path = "dist/" }],
                    Output = new OutputSpec { Type = OutputType.Image, Tags = ["registry.example.com/team/app:1.0"], Push = true },
                },
            ],
        };

        var errors = SpecValidator.Validate(spec, contextUploaded: false, out var stages);

        Assert.Empty(errors);
        Assert.Equal(["compile", "image"], stages.Select(s => s.Name));
        Assert.Equal([0, 1], stages.Select(s => s.Ordinal));
        Assert.Equal("build", stages[0].Target);
        Assert.Equal("1.2", stages[0].BuildArgs["VERSION"]);
        Assert.Equal(["linux/amd64", "linux/arm64"], stages[0].Platforms);
        Assert.Equal(OutputType.Artifacts, stages[0].Output.Type);
        Assert.Equal(["compile"], stages[1].Needs);
        Assert.Equal([new StageInput("compile", "dist")], stages[1].Inputs);
        Assert.Equal(OutputType.Image, stages[1].Output.Type);
        Assert.True(stages[1].Output.Push);
        Assert.Equal(["registry.example.com/team/app:1.0"], stages[1].Output.Tags);
    }

    [Fact]
    public void A_spec_without_stages_is_refused()
    {
        Assert.Contains("stages", Validate(new BuildSpec { Source = GitSource }).Keys);
        Assert.Contains("stages", Validate(new BuildSpec { Source = GitSource, Stages = [] }).Keys);
    }

    [Fact]
    public void A_name_used_twice_is_refused_at_the_second_stage()
    {
        var errors = Validate(Spec(Stage("build"), Stage("build")));

        Assert.DoesNotContain("stages[0].name", errors.Keys);
        Assert.Contains("used by another stage", Assert.Single(ErrorsAt(errors, "stages[1].name")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-build")]
    [InlineData("build stage")]
    [InlineData("build/x")]
    [InlineData("ünïcode")]
    public void An_invalid_stage_name_is_refused(string name)
    {
        var errors = Validate(Spec(Stage("ok"), Stage(name)));

        Assert.Single(ErrorsAt(errors, "stages[1].name"));
    }

    [Fact]
    public void A_stage_name_longer_than_63_characters_is_refused()
    {
        Assert.Empty(Validate(Spec(Stage(new string('a', 63)))));
        ErrorsAt(Validate(Spec(Stage(new string('a', 64)))), "stages[0].name");
    }

    [Fact]
    public void A_stage_needing_an_unknown_stage_is_refused_with_the_field_named()
    {
        var errors = Validate(Spec(Stage("a"), Stage("b", "a", "ghost")));

        Assert.DoesNotContain("stages[1].needs[0]", errors.Keys);
        Assert.Contains("'ghost'", Assert.Single(ErrorsAt(errors, "stages[1].needs[1]")));
    }

    [Fact]
    public void An_input_from_an_unknown_stage_is_refused_with_the_field_named()
    {
        var errors = Validate(Spec(
            Stage("a"),
            new StageSpec { Name = "b", Inputs = [new StageInputSpec { Stage = "ghost", Path = "in" }] }));

        Assert.Contains("'ghost'", Assert.Single(ErrorsAt(errors, "stages[1].inputs[0].stage")));
    }

    [Fact]
    public void A_stage_depending_on_itself_is_refused()
    {
        var errors = Validate(Spec(
            Stage("a", "a"),
            new StageSpec { Name = "b", Inputs = [new StageInputSpec { Stage = "b", Path = "in" }] }));

        Assert.Contains("itself", Assert.Single(ErrorsAt(errors, "stages[0].needs[0]")));
        Assert.Contains("itself", Assert.Single(ErrorsAt(errors, "stages[1].inputs[0].stage")));
    }

    [Fact]
    public void A_cycle_is_refused_and_the_message_names_the_stages_along_it()
    {
        var errors = Validate(Spec(Stage("a", "c"), Stage("b", "a"), Stage("c", "b"), Stage("d")));

        var message = Assert.Single(ErrorsAt(errors, "stages"));
        Assert.Contains("cycle", message);
        var path = message[(message.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split(" -> ");
        Assert.Equal(4, path.Length);
        Assert.Equal(path[0], path[^1]); // the cycle is closed: first stage repeated at the end
        Assert.Equal(["a", "b", "c"], path[..3].Order());
    }

    [Fact]
    public void A_cycle_through_an_input_is_refused()
    {
        var errors = Validate(Spec(
            new StageSpec { Name = "a", Inputs = [new StageInputSpec { Stage = "b", Path = "in" }] },
            Stage("b", "a")));

        var message = Assert.Single(ErrorsAt(errors, "stages"));
        Assert.True(message.EndsWith("a -> b -> a", StringComparison.Ordinal) || message.EndsWith("b -> a -> b", StringComparison.Ordinal), message);
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("Linux/AMD64")]
    [InlineData("linux/amd64/")]
    [InlineData("linux/arm/v7/extra")]
    [InlineData("linux amd64")]
    [InlineData("")]
    public void An_invalid_platform_is_refused(string platform)
    {
        var errors = Validate(Spec(new StageSpec { Name = "a", Platforms = ["linux/amd64", platform] }));

        Assert.Single(ErrorsAt(errors, "stages[0].platforms[1]"));
    }

    [Theory]
    [InlineData("wasi/wasm")]
    [InlineData("linux/arm/v7")]
    [InlineData("linux/amd64")]
    [InlineData("windows/amd64")]
    public void A_valid_platform_is_accepted(string platform)
    {
        Assert.Empty(Validate(Spec(new StageSpec { Name = "a", Platforms = [platform] })));
    }

    [Fact]
    public void A_platform_listed_twice_is_refused()
    {
        var errors = Validate(Spec(new StageSpec { Name = "a", Platforms = ["linux/amd64", "linux/amd64"] }));

        Assert.Contains("twice", Assert.Single(ErrorsAt(errors, "stages[0].platforms[1]")));
    }

    [Theory]
    [InlineData("team/UPPER")]
    [InlineData("App")]
    [InlineData("a b")]
    [InlineData("app:")]
    [InlineData("-app")]
    [InlineData("app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("")]
    public void An_invalid_image_tag_is_refused(string tag)
    {
        var errors = Validate(Spec(new StageSpec { Name = "a", Output = new OutputSpec { Type = OutputType.Image, Tags = ["ok/app", tag] } }));

        Assert.Single(ErrorsAt(errors, "stages[0].output.tags[1]"));
    }

    [Theory]
    [InlineData("localhost:5000/team/app:1.0")]
    [InlineData("registry.example.com/team/app:1.0")]
    [InlineData("app")]
    [InlineData("team/my-app_x:v1.2.3-rc.1")]
    public void A_valid_image_tag_is_accepted(string tag)
    {
        Assert.Empty(Validate(Spec(new StageSpec { Name = "a", Output = new OutputSpec { Type = OutputType.Image, Tags = [tag], Push = true } })));
    }

    [Fact]
    public void An_image_tag_longer_than_255_characters_is_refused()
    {
        var tag = "team/" + new string('a', 251);
        var errors = Validate(Spec(new StageSpec { Name = "a", Output = new OutputSpec { Type = OutputType.Image, Tags = [tag] } }));

        ErrorsAt(errors, "stages[0].output.tags[0]");
    }

    [Fact]
    public void Pushing_an_image_without_tags_is_refused()
    {
        var errors = Validate(Spec(new StageSpec { Name = "a", Output = new OutputSpec { Type = OutputType.Image, Push = true } }));

        Assert.Single(ErrorsAt(errors, "stages[0].output.tags"));
    }

    [Fact]
    public void An_image_without_tags_that_is_not_pushed_is_accepted()
    {
        Assert.Empty(Validate(Spec(new StageSpec { Name = "a", Output = new OutputSpec { Type = OutputType.Image } })));
    }

    [Theory]
    [InlineData(OutputType.Artifacts)]
    [InlineData(OutputType.None)]
    public void Tags_and_push_on_an_output_that_is_not_an_image_are_refused(OutputType type)
    {
        var errors = Validate(Spec(new StageSpec { Name = "a", Output = new OutputSpec { Type = type, Tags = ["team/app"], Push = true } }));

        ErrorsAt(errors, "stages[0].output.tags");
        ErrorsAt(errors, "stages[0].output.push");
    }

    [Theory]
    [InlineData(OutputType.Image)]
    [InlineData(OutputType.None)]
    public void An_input_from_a_stage_that_does_not_export_artifacts_is_refused(OutputType type)
    {
        var errors = Validate(Spec(
            new StageSpec { Name = "a", Output = new OutputSpec { Type = type } },
            new StageSpec { Name = "b", Inputs = [new StageInputSpec { Stage = "a", Path = "in" }] }));

        Assert.Contains(type.ToString().ToLowerInvariant(), Assert.Single(ErrorsAt(errors, "stages[1].inputs[0].stage")));
    }

    [Fact]
    public void An_input_from_a_stage_with_the_default_output_is_accepted()
    {
        Assert.Empty(Validate(Spec(
            Stage("a"),
            new StageSpec { Name = "b", Inputs = [new StageInputSpec { Stage = "a", Path = "in/a" }] })));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("in/../../x")]
    [InlineData("/abs")]
    [InlineData("in\\x")]
    [InlineData("./")]
    [InlineData("")]
    [InlineData(null)]
    public void An_input_path_that_is_not_a_plain_relative_path_is_refused(string? path)
    {
        var errors = Validate(Spec(
            Stage("a"),
            new StageSpec { Name = "b", Inputs = [new StageInputSpec { Stage = "a", Path = path }] }));

        Assert.Single(ErrorsAt(errors, "stages[1].inputs[0].path"));
    }

    [Fact]
    public void A_git_source_is_required_when_no_context_is_uploaded()
    {
        var errors = Validate(new BuildSpec { Stages = [Stage("a")] }, contextUploaded: false);

        Assert.Single(ErrorsAt(errors, "source.git"));
    }

    [Fact]
    public void A_source_must_be_absent_when_a_context_is_uploaded()
    {
        Assert.Empty(Validate(new BuildSpec { Stages = [Stage("a")] }, contextUploaded: true));
        Assert.Single(ErrorsAt(Validate(Spec(Stage("a")), contextUploaded: true), "source"));
    }

    [Theory]
    [InlineData("file:///srv/repo.git")]
    [InlineData("/srv/repo.git")]
    [InlineData("ext::sh -c touch% /tmp/pwned")]
    [InlineData("ext::ssh -oProxyCommand=evil host")]
    [InlineData("ftp://example.com/repo.git")]
    [InlineData("-uhttps://example.com/repo.git")]
    [InlineData("not a url")]
    [InlineData("")]
    public void A_git_url_with_a_forbidden_scheme_or_form_is_refused(string url)
    {
        var spec = new BuildSpec { Source = new SourceSpec { Git = new GitSourceSpec { Url = url } }, Stages = [Stage("a")] };

        Assert.Single(ErrorsAt(Validate(spec), "source.git.url"));
    }

    [Theory]
    [InlineData("https://github.com/org/repo.git")]
    [InlineData("http://git.internal/org/repo")]
    [InlineData("ssh://git@github.com/org/repo.git")]
    [InlineData("git://example.com/org/repo.git")]
    [InlineData("git@github.com:org/repo.git")]
    [InlineData("https://user@github.com/org/repo.git")]
    public void A_git_url_with_an_allowed_scheme_is_accepted(string url)
    {
        var spec = new BuildSpec { Source = new SourceSpec { Git = new GitSourceSpec { Url = url } }, Stages = [Stage("a")] };

        Assert.Empty(Validate(spec));
    }

    [Theory]
    [InlineData("https://user:secret@github.com/org/repo.git")]
    [InlineData("ssh://git:secret@example.com/repo.git")]
    public void A_git_url_carrying_a_password_is_refused(string url)
    {
        var spec = new BuildSpec { Source = new SourceSpec { Git = new GitSourceSpec { Url = url } }, Stages = [Stage("a")] };

        Assert.Contains("password", Assert.Single(ErrorsAt(Validate(spec), "source.git.url")));
    }

    [Theory]
    [InlineData("--upload-pack=evil")]
    [InlineData("main..other")]
    [InlineData("feature branch")]
    public void An_invalid_git_ref_is_refused(string gitRef)
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Git = new GitSourceSpec { Url = "https://example.com/r.git", Ref = gitRef } },
            Stages = [Stage("a")],
        };

        Assert.Single(ErrorsAt(Validate(spec), "source.git.ref"));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/Dockerfile")]
    [InlineData("docker/../../Dockerfile")]
    public void A_dockerfile_path_leaving_the_context_is_refused(string dockerfile)
    {
        var errors = Validate(Spec(Stage("a")) with { Dockerfile = dockerfile });

        Assert.Single(ErrorsAt(errors, "dockerfile"));
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("build stage")]
    public void An_invalid_target_is_refused(string target)
    {
        var errors = Validate(Spec(new StageSpec { Name = "a", Target = target }));

        Assert.Single(ErrorsAt(errors, "stages[0].target"));
    }

    [Fact]
    public void An_invalid_build_argument_name_is_refused()
    {
        var errors = Validate(Spec(new StageSpec { Name = "a", BuildArgs = new() { ["OK_1"] = "x", ["NOT-OK"] = "y" } }));

        Assert.Contains("'NOT-OK'", Assert.Single(ErrorsAt(errors, "stages[0].buildArgs")));
    }

    [Fact]
    public void More_than_the_maximum_number_of_stages_is_refused()
    {
        var stages = Enumerable.Range(0, SpecRules.MaxStages + 1).Select(i => Stage($"s{i}")).ToArray();

        Assert.Single(ErrorsAt(Validate(Spec(stages)), "stages"));
        Assert.Empty(Validate(Spec(stages[..SpecRules.MaxStages])));
    }
}
