using HybridBuild.Cli.Api;
using HybridBuild.Cli.Artifacts;
using HybridBuild.Cli.Commands;
using HybridBuild.Cli.Context;
using HybridBuild.Cli.Progress;

namespace HybridBuild.Cli.Running;

/// <summary>Where a finished build's files go: a folder for artifacts (one per stage when several), a file for an image tarball.</summary>
internal sealed record Destination(string Path, bool FolderPerStage);

/// <summary>
/// What <c>hbs build</c> and <c>hbs bake</c> share: upload the context (streamed, with a progress bar), show the solve's
/// progress as it runs, fetch the results, and exit with the build's outcome. Ctrl-C cancels the build on the service,
/// waits for it to settle and exits 130.
/// </summary>
internal sealed class BuildRunner(ServiceClient client, ProgressMode progress, bool quiet)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(2);

    public async Task<int> RunAsync(BuildSpec spec, string? contextDirectory, Destination? destination, Interrupt interrupt)
    {
        var mode = ProgressModes.Resolve(quiet ? ProgressMode.Quiet : progress);
        BuildView build;
        try
        {
            build = await SubmitAsync(spec, contextDirectory, mode, interrupt.Token);
        }
        catch (OperationCanceledException) when (interrupt.Requested)
        {
            Console.Error.WriteLine("interrupted before the service answered: the build may have been submitted or not (hbs ls shows it if it was)");
            return Interrupt.ExitCode;
        }
        if (mode != ProgressMode.Quiet) Console.Error.WriteLine($"build {build.Id} submitted ({string.Join(", ", build.Stages.Select(s => s.Name))})");

        var state = new SolveState();
        using (var view = ProgressModes.Create(mode, prefixStages: spec.Stages!.Count > 1 || build.Stages.Count > 1))
        {
            try
            {
                await FollowAsync(build.Id, state, view, interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                view.Note($"cancelling build {build.Id} …");
                // one deadline for asking and waiting: an interrupted hbs ends within it, even with the service away
                using var settle = new CancellationTokenSource(SettleTimeout);
                try
                {
                    try
                    {
                        await client.CancelAsync(build.Id, settle.Token);
                    }
                    catch (ServiceProblem problem) when (problem.Status == 409)
                    {
                        // it finished meanwhile: there is nothing to cancel, and its end is what the log shows next
                    }
                    await FollowAsync(build.Id, state, view, settle.Token);
                }
                catch (OperationCanceledException)
                {
                    view.Note($"build {build.Id} had not settled after {SettleTimeout.TotalSeconds:0}s; it was asked to cancel");
                }
            }
        }
        if (interrupt.Requested)
        {
            using var asking = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var status = await StatusAsync(build.Id, asking.Token);
            Console.Error.WriteLine($"build {build.Id} {status}");
            return Interrupt.ExitCode;
        }
        var finished = await client.GetBuildAsync(build.Id, CancellationToken.None);
        if (finished.Status != BuildStatus.Succeeded)
        {
            foreach (var stage in finished.Stages.Where(s => s.Error is not null))
                Console.Error.WriteLine($"ERROR: failed to solve: stage {stage.Name}: {stage.Error}");
            Console.Error.WriteLine($"build {build.Id} {Word(finished.Status)}");
            return 1;
        }
        if (destination is not null)
        {
            try
            {
                await SaveAsync(finished, destination, mode, interrupt.Token);
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                Console.Error.WriteLine($"interrupted while saving the outputs of build {build.Id} (it succeeded): some files may be missing");
                return Interrupt.ExitCode;
            }
        }
        if (quiet) Console.WriteLine(build.Id);
        return 0;
    }

    private async Task<BuildView> SubmitAsync(BuildSpec spec, string? contextDirectory, ProgressMode mode, CancellationToken cancellationToken)
    {
        if (contextDirectory is null) return await client.SubmitAsync(spec, null, cancellationToken);
        var dockerfile = spec.Dockerfile ?? "Dockerfile";
        var entries = ContextFiles.List(contextDirectory, DockerIgnore.Read(contextDirectory), new HashSet<string>(StringComparer.Ordinal) { dockerfile, DockerIgnore.FileName });
        if (!entries.Any(e => e.Name == dockerfile && !e.IsDirectory))
            throw new UsageException($"the context {contextDirectory} has no {dockerfile}");
        using var bar = new UploadBar(Console.Error, mode, entries.Sum(e => e.Size));
        bar.Start(entries.Count);
        return await client.SubmitAsync(spec, new ContextUpload(entries, bar), cancellationToken);
    }

    /// <summary>The last event shown: following again after Ctrl-C's cancel goes on from there rather than showing it all twice.</summary>
    private long _lastEvent;

    private async Task FollowAsync(Guid id, SolveState state, IProgressView view, CancellationToken cancellationToken)
    {
        await foreach (var e in BuildEvents.FollowAsync(client, id, cancellationToken, _lastEvent))
        {
            if (e.Id > 0) _lastEvent = e.Id;
            view.Apply(state.Apply(e).ToList());
        }
    }

    private async Task SaveAsync(BuildView build, Destination destination, ProgressMode mode, CancellationToken cancellationToken)
    {
        var stages = build.Stages.Where(s => s.Output.Type is OutputType.Artifacts or OutputType.Oci or OutputType.Docker).ToList();
        foreach (var stage in stages)
        {
            var path = destination.FolderPerStage && stages.Count > 1 ? ArtifactDownload.StagePath(destination.Path, stage.Name) : destination.Path;
            if (stage.Output.Type == OutputType.Artifacts)
            {
                var files = await ArtifactDownload.ExtractStageAsync(client, build.Id, stage.Name, path, cancellationToken);
                if (mode != ProgressMode.Quiet) Console.Error.WriteLine($"exported {files} file(s) of stage {stage.Name} to {path}");
            }
            else
            {
                await ArtifactDownload.SaveFileAsync(client, build.Id, stage.Name, "image.tar", path, cancellationToken);
                if (mode != ProgressMode.Quiet) Console.Error.WriteLine($"exported image.tar of stage {stage.Name} to {path}");
            }
        }
    }

    private static string Word(BuildStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>The build's status as a word, for the last line of an interrupted run; what went wrong if it cannot be read in time.</summary>
    private async Task<string> StatusAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            return Word((await client.GetBuildAsync(id, cancellationToken)).Status);
        }
        catch (Exception e) when (e is OperationCanceledException or ServiceProblem or HttpRequestException)
        {
            return "was asked to cancel; its status could not be read";
        }
    }
}
