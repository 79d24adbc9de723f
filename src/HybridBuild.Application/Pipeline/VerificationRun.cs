using HybridBuild.Application.Nodes;

namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Runs a verification stage (a stage with <c>run</c>): a container of an earlier stage's image, on the Docker engine of
/// the builder that built it, or of an image reference. Its output goes to the build log with the values of its
/// <c>env</c> masked; its exit code, and what ran it, go to the stage record, and an exit code other than the expected
/// one fails the stage. The container is removed however the run ends; <see cref="ContainerSweep"/> removes what a
/// dead node left.
/// </summary>
internal sealed class VerificationRun(BuildDbContext db, IContainerRunner containers, IBuilders builders, BuildLog log, NodeIdentity node)
{
    public async Task<StageOutcome> ExecuteAsync(Stage stage, Guid runId, CancellationToken cancellationToken)
    {
        var run = stage.Run!;
        await using var sink = log.OpenSink(stage.BuildId, stage.Name);
        var (image, host) = await ImageAsync(stage, run, cancellationToken);
        sink.Note($"running a container of {image} ({(run.Network ? "with the engine's default network" : "without a network")}"
            + $"{(run.Runtime is null ? "" : $", runtime {run.Runtime}")}); expecting exit code {run.ExpectExitCode}");
        var request = new ContainerRunRequest
        {
            Image = image,
            DockerHost = host,
            Command = run.Command,
            Env = run.Env,
            Network = run.Network,
            Runtime = run.Runtime,
            Labels = new Dictionary<string, string>
            {
                [EngineLabels.BuildId] = stage.BuildId.ToString(),
                [EngineLabels.Stage] = stage.Name,
                [EngineLabels.Node] = node.Id.ToString(),
                [EngineLabels.Run] = runId.ToString(),
            },
        };
        var output = new Secrets.SecretRedactor(sink, run.Env.Values);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (run.Timeout is { } timeout) limit.CancelAfter(timeout);
        ContainerRunResult result;
        try
        {
            result = await containers.RunAsync(request, output, limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return StageOutcome.Failed($"the container did not exit within its run.timeout of {Core.Specs.SpecRules.FormatDuration(run.Timeout!.Value)}; it was removed");
        }
        if (result.Error is { } error) return StageOutcome.Failed(output.Redact(error));
        sink.Note($"the container exited with code {result.ExitCode} ({result.Runtime})");
        var outcome = result.ExitCode == run.ExpectExitCode
            ? StageOutcome.Succeeded(null, [])
            : StageOutcome.Failed($"the container exited with code {result.ExitCode}, expected {run.ExpectExitCode}");
        return outcome with { ExitCode = result.ExitCode, Runtime = result.Runtime };
    }

    /// <summary>The image to run and the engine it is on: a stage's first tag on its builder's engine, or the reference on the configured one.</summary>
    private async Task<(string Image, string? Host)> ImageAsync(Stage stage, StageRun run, CancellationToken cancellationToken)
    {
        if (run.ImageStage is not { } name) return (run.Image, null);
        var source = await db.Stages.AsNoTracking().Where(s => s.BuildId == stage.BuildId && s.Name == name)
            .Select(s => new { s.Output, s.Builder }).FirstAsync(cancellationToken);
        return (source.Output.Tags[0], builders.All.FirstOrDefault(b => b.Name == source.Builder)?.DockerHost);
    }
}
