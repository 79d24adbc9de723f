namespace HybridBuild.BuildKit.Tests.Buildx;

public class BuildxArgumentsTests
{
    private const string Context = "/work/ctx";
    private const string Metadata = "/work/meta.json";

    private static StageBuildRequest Request(StageOutput output, string? outputDirectory = "/work/out") => new()
    {
        ContextDirectory = Context,
        Dockerfile = "docker/Dockerfile",
        Output = output,
        OutputDirectory = outputDirectory,
    };

    private static List<string> Args(StageBuildRequest request, string? builder = null, bool provenance = false) =>
        BuildxArguments.For(request, builder, Metadata, provenance, new AttestationOptions());

    private static string ValueOf(List<string> args, string flag)
    {
        var at = args.IndexOf(flag);
        Assert.True(at >= 0 && at + 1 < args.Count, $"'{flag}' is missing from: {string.Join(' ', args)}");
        return args[at + 1];
    }

    private static List<string> ValuesOf(List<string> args, string flag) =>
        [.. args.Select((a, i) => (a, i)).Where(p => p.a == flag).Select(p => args[p.i + 1])];

    [Fact]
    public void An_oci_output_writes_image_tar_in_the_output_directory_with_its_tags_as_names()
    {
        var args = Args(Request(new StageOutput { Type = OutputType.Oci, Tags = ["registry.example.com/app:1", "app:latest"] }));

        Assert.Equal("type=oci,dest=/work/out/image.tar,\"name=registry.example.com/app:1,app:latest\"", ValueOf(args, "--output"));
    }

    [Fact]
    public void A_docker_output_without_tags_names_no_image()
    {
        var args = Args(Request(new StageOutput { Type = OutputType.Docker }));

        Assert.Equal("type=docker,dest=/work/out/image.tar", ValueOf(args, "--output"));
    }

    [Fact]
    public void A_stages_attestations_replace_the_builders_provenance_default()
    {
        var args = Args(Request(new StageOutput { Attest = new StageAttestations { Provenance = "max", Sbom = true } }));

        Assert.Contains("--provenance=mode=max", args);
        Assert.DoesNotContain("--provenance=false", args);
        Assert.Contains("--sbom=generator=docker/buildkit-syft-scanner:stable-1", args);
    }

    [Fact]
    public void A_minimal_artifacts_stage_gives_the_whole_expected_command_line()
    {
        var args = Args(Request(new StageOutput { Type = OutputType.Artifacts }));

        Assert.Equal(
            [
                "buildx", "build",
                "--progress=rawjson", "--metadata-file", Metadata,
                "--file", "/work/ctx/docker/Dockerfile",
                "--provenance=false",
                "--output", "type=local,dest=/work/out",
                Context,
            ],
            args);
    }

    [Fact]
    public void An_artifacts_output_exports_to_the_output_directory()
    {
        Assert.Equal("type=local,dest=/work/out", ValueOf(Args(Request(new StageOutput { Type = OutputType.Artifacts })), "--output"));
    }

    [Fact]
    public void An_artifacts_output_without_an_output_directory_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => Args(Request(new StageOutput { Type = OutputType.Artifacts }, outputDirectory: null)));
    }

    [Fact]
    public void An_image_with_two_tags_that_is_pushed_names_both_in_one_quoted_field()
    {
        var output = new StageOutput { Type = OutputType.Image, Tags = ["reg.example.com/a:1", "reg.example.com/b:2"], Push = true };

        Assert.Equal("type=image,\"name=reg.example.com/a:1,reg.example.com/b:2\",push=true", ValueOf(Args(Request(output)), "--output"));
    }

    [Fact]
    public void An_image_that_is_not_pushed_says_so()
    {
        var output = new StageOutput { Type = OutputType.Image, Tags = ["a"] };

        Assert.Equal("type=image,\"name=a\",push=false", ValueOf(Args(Request(output)), "--output"));
    }

    [Fact]
    public void An_image_without_tags_is_a_plain_image_output()
    {
        Assert.Equal("type=image", ValueOf(Args(Request(new StageOutput { Type = OutputType.Image })), "--output"));
    }

    [Fact]
    public void No_output_builds_into_the_cache_only()
    {
        Assert.Equal("type=cacheonly", ValueOf(Args(Request(new StageOutput { Type = OutputType.None }, outputDirectory: null)), "--output"));
    }

    [Fact]
    public void Build_arguments_are_passed_one_by_one_in_ordinal_order()
    {
        var request = Request(new StageOutput()) with
        {
            BuildArgs = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1", ["B"] = "x=y", ["EMPTY"] = "" },
        };

        var args = Args(request);

        Assert.Equal(["B=x=y", "EMPTY=", "a=1", "b=2"], ValuesOf(args, "--build-arg"));
        Assert.DoesNotContain(args, a => a.StartsWith("--build-arg=", StringComparison.Ordinal));
    }

    [Fact]
    public void Platforms_are_joined_with_commas()
    {
        var args = Args(Request(new StageOutput()) with { Platforms = ["linux/amd64", "linux/arm/v7", "wasi/wasm"] });

        Assert.Equal(["linux/amd64,linux/arm/v7,wasi/wasm"], ValuesOf(args, "--platform"));
    }

    [Fact]
    public void No_platform_flag_is_given_without_platforms()
    {
        Assert.DoesNotContain("--platform", Args(Request(new StageOutput())));
    }

    [Fact]
    public void Labels_are_put_on_image_outputs_in_ordinal_order()
    {
        var labels = new Dictionary<string, string> { ["org.hybridbuild.stage"] = "s", ["org.hybridbuild.build"] = "b" };

        var args = Args(Request(new StageOutput { Type = OutputType.Image, Tags = ["app"] }) with { Labels = labels });

        Assert.Equal(["org.hybridbuild.build=b", "org.hybridbuild.stage=s"], ValuesOf(args, "--label"));
    }

    [Theory]
    [InlineData(OutputType.Artifacts)]
    [InlineData(OutputType.None)]
    public void Labels_are_left_out_when_no_image_is_produced(OutputType type)
    {
        var labels = new Dictionary<string, string> { ["org.hybridbuild.build"] = "b" };

        Assert.DoesNotContain("--label", Args(Request(new StageOutput { Type = type }) with { Labels = labels }));
    }

    [Fact]
    public void The_target_is_passed_only_when_set()
    {
        Assert.Equal("build", ValueOf(Args(Request(new StageOutput()) with { Target = "build" }), "--target"));
        Assert.DoesNotContain("--target", Args(Request(new StageOutput())));
        Assert.DoesNotContain("--target", Args(Request(new StageOutput()) with { Target = "" }));
    }

    [Fact]
    public void The_builder_is_passed_only_when_set()
    {
        Assert.Equal("remote", ValueOf(Args(Request(new StageOutput()), builder: "remote"), "--builder"));
        Assert.DoesNotContain("--builder", Args(Request(new StageOutput()), builder: ""));
        Assert.DoesNotContain("--builder", Args(Request(new StageOutput())));
    }

    [Fact]
    public void Provenance_follows_the_option()
    {
        Assert.Contains("--provenance=true", Args(Request(new StageOutput()), provenance: true));
        Assert.Contains("--provenance=false", Args(Request(new StageOutput()), provenance: false));
    }

    [Fact]
    public void The_context_directory_is_the_last_argument()
    {
        var request = Request(new StageOutput { Type = OutputType.Image, Tags = ["app"], Push = true }) with
        {
            Target = "t",
            BuildArgs = new Dictionary<string, string> { ["A"] = "1" },
            Platforms = ["linux/amd64"],
            Labels = new Dictionary<string, string> { ["l"] = "v" },
        };

        var args = Args(request, builder: "b", provenance: true);

        Assert.Equal(Context, args[^1]);
        Assert.Equal(1, args.Count(a => a == Context));
        Assert.Equal(["buildx", "build"], args[..2]);
    }
}
