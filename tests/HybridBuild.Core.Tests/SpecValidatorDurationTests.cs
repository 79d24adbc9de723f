namespace HybridBuild.Core.Tests;

/// <summary>A stage's <c>timeout</c> and <c>queueTtl</c>: positive hh:mm:ss durations up to a maximum, errors named by field.</summary>
public class SpecValidatorDurationTests
{
    private static BuildSpec Spec(StageSpec stage) => new()
    {
        Source = new SourceSpec { Git = new GitSourceSpec { Url = "https://example.com/org/repo.git" } },
        Stages = [stage],
    };

    private static IReadOnlyDictionary<string, string[]> Validate(StageSpec stage, out List<HybridBuild.Core.Domain.Stage> stages) =>
        SpecValidator.Validate(Spec(stage), contextUploaded: false, out stages);

    [Theory]
    [InlineData("00:00:05", 5)]
    [InlineData("00:10:00", 600)]
    [InlineData("02:30:00", 9000)]
    [InlineData("0.00:01:00", 60)] // TimeSpan's own form, as the build record shows a duration
    public void A_positive_timeout_up_to_the_maximum_is_kept_on_the_stage(string timeout, int seconds)
    {
        var errors = Validate(new StageSpec { Name = "a", Timeout = timeout }, out var stages);

        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(seconds), stages.Single().Timeout);
    }

    [Theory]
    [InlineData("00:00:02", 2)]
    [InlineData("24:00:00", 86400)]
    [InlineData("168:00:00", 604800)]
    public void A_positive_queue_ttl_up_to_the_maximum_is_kept_on_the_stage(string ttl, int seconds)
    {
        var errors = Validate(new StageSpec { Name = "a", QueueTtl = ttl }, out var stages);

        Assert.Empty(errors);
        Assert.Equal(TimeSpan.FromSeconds(seconds), stages.Single().QueueTtl);
    }

    [Fact]
    public void A_stage_without_limits_leaves_them_to_the_configuration()
    {
        var errors = Validate(new StageSpec { Name = "a" }, out var stages);

        Assert.Empty(errors);
        Assert.Null(stages.Single().Timeout);
        Assert.Null(stages.Single().QueueTtl);
    }

    public static TheoryData<string, string> BadDurations => new()
    {
        { "abc", "is not a duration" },
        { "5", "is not a duration" },
        { "00:60:00", "is not a duration" },
        { "-00:00:01", "must be longer than 00:00:00" },
        { "00:00:00", "must be longer than 00:00:00" },
        { "", "is not a duration" },
        { "00:00:05\0", "control character U+0000" },
        { "00:00:05\n", "control character U+000A" },
        { "\u001b[2J00:00:05", "control character U+001B" },
        { new string('1', 40), "longer than 32 characters" },
    };

    [Theory]
    [MemberData(nameof(BadDurations))]
    public void A_bad_timeout_is_an_error_at_its_field(string timeout, string message)
    {
        var errors = Validate(new StageSpec { Name = "a", Timeout = timeout }, out _);

        Assert.Contains(message, Assert.Single(Assert.Single(errors, e => e.Key == "stages[0].timeout").Value));
    }

    [Theory]
    [MemberData(nameof(BadDurations))]
    public void A_bad_queue_ttl_is_an_error_at_its_field(string ttl, string message)
    {
        var errors = Validate(new StageSpec { Name = "a", QueueTtl = ttl }, out _);

        Assert.Contains(message, Assert.Single(Assert.Single(errors, e => e.Key == "stages[0].queueTtl").Value));
    }

    [Fact]
    public void A_timeout_over_the_maximum_is_refused_naming_the_maximum()
    {
        var over = SpecRules.MaxStageTimeout + TimeSpan.FromSeconds(1);

        var errors = Validate(new StageSpec { Name = "a", Timeout = SpecRules.FormatDuration(over) }, out _);

        Assert.Equal("must be at most 02:30:00, not '02:30:01'", Assert.Single(Assert.Single(errors, e => e.Key == "stages[0].timeout").Value));
    }

    [Fact]
    public void A_queue_ttl_over_the_maximum_is_refused_naming_the_maximum()
    {
        var errors = Validate(new StageSpec { Name = "a", QueueTtl = "168:00:01" }, out _);

        Assert.Equal("must be at most 168:00:00, not '168:00:01'", Assert.Single(Assert.Single(errors, e => e.Key == "stages[0].queueTtl").Value));
    }

    [Fact]
    public void Errors_name_the_stage_they_are_in()
    {
        var spec = Spec(new StageSpec { Name = "a" }) with
        {
            Stages = [new StageSpec { Name = "a" }, new StageSpec { Name = "b", Timeout = "soon", QueueTtl = "00:00:00" }],
        };

        var errors = SpecValidator.Validate(spec, contextUploaded: false, out _);

        Assert.Equal(["stages[1].queueTtl", "stages[1].timeout"], errors.Keys.Order(StringComparer.Ordinal));
    }
}
