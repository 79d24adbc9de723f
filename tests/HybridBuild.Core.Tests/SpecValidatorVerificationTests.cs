namespace HybridBuild.Core.Tests;

/// <summary>How a verification stage's <c>run</c> is checked and stored.</summary>
public class SpecValidatorVerificationTests
{
    private static BuildSpec Spec(params StageSpec[] stages) =>
        new() { Source = new SourceSpec { Git = new GitSourceSpec { Url = "https://example.com/org/repo.git" } }, Stages = [.. stages] };

    private static readonly StageSpec App = new()
    {
        Name = "app", Target = "app", Output = new OutputSpec { Type = OutputType.Image, Tags = ["registry.example.com/app:1"] },
    };

    [Fact]
    public void A_run_of_a_stages_image_needs_that_stage_builds_nothing_and_keeps_its_settings()
    {
        var errors = SpecValidator.Validate(Spec(App, new StageSpec
        {
            Name = "verify", Needs = ["app"],
            Run = new RunSpec { Image = "app", Command = ["app", "--self-test"], Env = new() { ["TOKEN"] = "hunter2-secret" }, Timeout = "00:02:00", ExpectExitCode = 3, Runtime = "io.containerd.wasmedge.v1" },
        }), false, out var stages);

        Assert.Empty(errors);
        var verify = stages.Single(s => s.Name == "verify");
        Assert.Equal(["app"], verify.Needs);
        Assert.Equal(OutputType.None, verify.Output.Type);
        Assert.Equal("app", verify.Run!.ImageStage);
        Assert.Equal(["app", "--self-test"], verify.Run.Command!);
        Assert.Equal(TimeSpan.FromMinutes(2), verify.Run.Timeout);
        Assert.Equal(3, verify.Run.ExpectExitCode);
        Assert.Equal("hunter2-secret", verify.Run.Env["TOKEN"]);
        Assert.Null(stages.Single(s => s.Name == "app").Run);
    }

    [Fact]
    public void A_run_of_an_image_reference_needs_nothing_and_keeps_the_images_own_command()
    {
        var errors = SpecValidator.Validate(Spec(new StageSpec { Name = "verify", Run = new RunSpec { Image = "busybox:1.36" } }), false, out var stages);

        Assert.Empty(errors);
        Assert.Empty(stages.Single().Needs);
        Assert.Null(stages.Single().Run!.ImageStage);
        Assert.Null(stages.Single().Run!.Command);
    }

    [Fact]
    public void An_error_about_an_env_value_never_quotes_it()
    {
        var errors = SpecValidator.Validate(Spec(new StageSpec
        {
            Name = "verify", Run = new RunSpec { Image = "busybox", Env = new() { ["TOKEN"] = "hunter2-secret\0" } },
        }), false, out _);

        var messages = Assert.Single(errors).Value;
        Assert.DoesNotContain(messages, m => m.Contains("hunter2", StringComparison.Ordinal));
    }
}
