namespace HybridBuild.Core.Tests;

public class PipelinePlannerTests
{
    private static Stage S(string name, StageStatus status = StageStatus.Queued, params string[] needs) =>
        new() { Name = name, Status = status, Needs = [.. needs] };

    private static Stage WithInput(Stage stage, string from)
    {
        stage.Inputs.Add(new StageInput(from, "in/" + from));
        return stage;
    }

    private static string[] Names(IEnumerable<Stage> stages) => [.. stages.Select(s => s.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public void Runnable_returns_queued_stages_without_dependencies()
    {
        Stage[] stages = [S("a"), S("b"), S("c", StageStatus.Running), S("d", StageStatus.Succeeded)];

        Assert.Equal(["a", "b"], Names(PipelinePlanner.Runnable(stages)));
    }

    [Fact]
    public void Runnable_leaves_out_stages_that_were_already_enqueued()
    {
        var enqueued = S("a");
        enqueued.EnqueuedAt = DateTimeOffset.UnixEpoch;

        Assert.Empty(PipelinePlanner.Runnable([enqueued]));
    }

    [Fact]
    public void Runnable_returns_a_stage_only_once_all_its_dependencies_succeeded()
    {
        Stage[] waiting = [S("a", StageStatus.Succeeded), S("b", StageStatus.Running), S("c", StageStatus.Queued, "a", "b")];
        Stage[] ready = [S("a", StageStatus.Succeeded), S("b", StageStatus.Succeeded), S("c", StageStatus.Queued, "a", "b")];

        Assert.Empty(PipelinePlanner.Runnable(waiting));
        Assert.Equal(["c"], Names(PipelinePlanner.Runnable(ready)));
    }

    [Fact]
    public void Runnable_waits_for_the_stage_an_input_comes_from()
    {
        Stage[] stages = [S("a", StageStatus.Running), WithInput(S("b"), "a")];

        Assert.Empty(PipelinePlanner.Runnable(stages));

        stages[0].Status = StageStatus.Succeeded;
        Assert.Equal(["b"], Names(PipelinePlanner.Runnable(stages)));
    }

    [Theory]
    [InlineData(StageStatus.Failed)]
    [InlineData(StageStatus.Cancelled)]
    [InlineData(StageStatus.Skipped)]
    public void Runnable_never_returns_a_stage_whose_dependency_did_not_succeed(StageStatus status)
    {
        Assert.Empty(PipelinePlanner.Runnable([S("a", status), S("b", StageStatus.Queued, "a")]));
    }

    [Fact]
    public void Unreachable_is_transitive()
    {
        // listed so that the dependant comes before its dependency, which needs more than one pass
        Stage[] stages = [S("c", StageStatus.Queued, "b"), S("b", StageStatus.Queued, "a"), S("a", StageStatus.Failed), S("d")];

        Assert.Equal(["b", "c"], Names(PipelinePlanner.Unreachable(stages)));
    }

    [Theory]
    [InlineData(StageStatus.Failed)]
    [InlineData(StageStatus.Cancelled)]
    [InlineData(StageStatus.Skipped)]
    [InlineData(StageStatus.Expired)]
    public void Unreachable_includes_stages_behind_a_failed_cancelled_skipped_or_expired_stage(StageStatus status)
    {
        Assert.Equal(["b"], Names(PipelinePlanner.Unreachable([S("a", status), WithInput(S("b"), "a")])));
    }

    [Fact]
    public void Unreachable_leaves_out_stages_still_waiting_for_running_or_succeeded_dependencies()
    {
        Stage[] stages = [S("a", StageStatus.Running), S("b", StageStatus.Succeeded), S("c", StageStatus.Queued, "a", "b")];

        Assert.Empty(PipelinePlanner.Unreachable(stages));
    }

    [Fact]
    public void Unreachable_leaves_out_a_stage_already_handed_to_a_worker()
    {
        var enqueued = S("b", StageStatus.Queued, "a");
        enqueued.EnqueuedAt = DateTimeOffset.UnixEpoch;

        Assert.Empty(PipelinePlanner.Unreachable([S("a", StageStatus.Failed), enqueued]));
    }

    [Theory]
    [InlineData(StageStatus.Queued)]
    [InlineData(StageStatus.Running)]
    public void Outcome_is_null_while_any_stage_is_not_terminal(StageStatus pending)
    {
        Stage[] stages = [S("a", StageStatus.Failed), S("b", pending)];

        Assert.Null(PipelinePlanner.Outcome(stages, cancelRequested: false));
        Assert.Null(PipelinePlanner.Outcome(stages, cancelRequested: true));
    }

    [Fact]
    public void Outcome_is_succeeded_when_every_stage_succeeded()
    {
        Assert.Equal(BuildStatus.Succeeded, PipelinePlanner.Outcome([S("a", StageStatus.Succeeded), S("b", StageStatus.Succeeded)], false));
    }

    [Fact]
    public void Outcome_is_failed_when_a_stage_failed()
    {
        Stage[] stages = [S("a", StageStatus.Succeeded), S("b", StageStatus.Failed), S("c", StageStatus.Skipped)];

        Assert.Equal(BuildStatus.Failed, PipelinePlanner.Outcome(stages, cancelRequested: false));
    }

    [Fact]
    public void Outcome_is_failed_when_a_stage_expired_waiting_for_a_worker()
    {
        Stage[] stages = [S("a", StageStatus.Succeeded), S("b", StageStatus.Expired), S("c", StageStatus.Skipped)];

        Assert.Equal(BuildStatus.Failed, PipelinePlanner.Outcome(stages, cancelRequested: false));
    }

    [Fact]
    public void Outcome_is_cancelled_when_cancellation_was_requested()
    {
        Stage[] stages = [S("a", StageStatus.Succeeded), S("b", StageStatus.Cancelled), S("c", StageStatus.Skipped)];

        Assert.Equal(BuildStatus.Cancelled, PipelinePlanner.Outcome(stages, cancelRequested: true));
        Assert.Equal(BuildStatus.Cancelled, PipelinePlanner.Outcome([S("a", StageStatus.Failed), S("b", StageStatus.Skipped)], cancelRequested: true));
    }

    [Fact]
    public void FindCycle_returns_null_for_an_acyclic_graph()
    {
        Assert.Null(PipelinePlanner.FindCycle([S("a"), S("b", StageStatus.Queued, "a"), S("c", StageStatus.Queued, "a", "b")]));
    }

    [Fact]
    public void FindCycle_reports_the_stages_in_execution_order()
    {
        // a needs b, b needs c, c needs a
        var cycle = PipelinePlanner.FindCycle([S("a", StageStatus.Queued, "b"), S("b", StageStatus.Queued, "c"), S("c", StageStatus.Queued, "a")]);

        Assert.NotNull(cycle);
        Assert.Equal(cycle[0], cycle[^1]);
        // each stage is followed by a stage that needs it
        var needs = new Dictionary<string, string> { ["a"] = "b", ["b"] = "c", ["c"] = "a" };
        for (var i = 0; i + 1 < cycle.Count; i++)
            Assert.Equal(cycle[i], needs[cycle[i + 1]]);
    }
}
