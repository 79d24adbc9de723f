using Docker.DotNet;
using Docker.DotNet.Models;

namespace HybridBuild.BuildKit.Docker;

/// <summary>
/// Runs a <c>wasi/wasm</c> image's module under a WASI runtime in a helper container (Engine:Wasi:Image). The module
/// goes there through the Engine API without touching the node's disk: a container is created (never started) from the
/// wasm image, its module read out as a tar (GET /containers/{id}/archive) and put into the helper's /tmp
/// (PUT /containers/{id}/archive). The module is the image's argv[0] (ENTRYPOINT, then CMD or the run's command), the
/// rest its arguments, as a wasm shim would run it.
/// </summary>
internal sealed class WasiRun(DockerClient client, WasiOptions options, TimeProvider clock)
{
    private const string ModuleDirectory = "/tmp";

    public async Task<ContainerRunResult> RunAsync(ContainerRunRequest request, ImageInspectResponse image, IBuildProgress output, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Image) || options.Command.Count == 0)
            return ContainerRunResult.NotRun($"'{request.Image}' is a wasi/wasm image and the Docker engine has no wasm runtime to run it: "
                + "set run.runtime to a wasm shim the engine has, or Engine:Wasi:Image to an image with a WASI runtime (e.g. wasmedge)");
        string[] argv = [.. image.Config?.Entrypoint ?? [], .. request.Command ?? [.. image.Config?.Cmd ?? []]];
        if (argv.Length == 0) return ContainerRunResult.NotRun($"the wasi/wasm image '{request.Image}' has no ENTRYPOINT or CMD naming its module");
        var module = argv[0].StartsWith('/') ? argv[0] : $"{(image.Config?.WorkingDir is { Length: > 0 } dir ? dir.TrimEnd('/') : "")}/{argv[0]}";

        string? source = null, helper = null;
        try
        {
            source = await ContainerRunner.CreateAsync(client, request.Image, null, [], request with { Network = false }, cancellationToken);
            var env = request.Env.SelectMany(e => new[] { options.EnvOption, $"{e.Key}={e.Value}" });
            string[] command = [.. options.Command, .. env, $"{ModuleDirectory}/{Path.GetFileName(module)}", .. argv[1..]];
            helper = await ContainerRunner.CreateAsync(client, options.Image, command, [], request with { Runtime = null }, cancellationToken);
            var archive = await client.Containers.GetArchiveFromContainerAsync(source, new ContainerPathStatParameters { Path = module }, false, cancellationToken);
            await using (archive.Stream)
                await client.Containers.ExtractArchiveToContainerAsync(helper, new CopyToContainerParameters { Path = ModuleDirectory }, archive.Stream!, cancellationToken);
            output.Log(new LogLine(null, 2, $"running the wasi/wasm module {module} with {options.Command[0]} in a helper container of {options.Image}", clock.GetUtcNow()));
            var exitCode = await ContainerRunner.StartAndWaitAsync(client, helper, output, clock, cancellationToken);
            return ContainerRunResult.Exited(exitCode, $"{options.Command[0]} in {options.Image}");
        }
        catch (DockerContainerNotFoundException e) when (!cancellationToken.IsCancellationRequested)
        {
            return ContainerRunResult.NotRun($"the module {module} of '{request.Image}' cannot be read: {ContainerRunner.DaemonMessage(e)}");
        }
        catch (DockerImageNotFoundException e) when (!cancellationToken.IsCancellationRequested)
        {
            return ContainerRunResult.NotRun($"the WASI helper image {options.Image} (Engine:Wasi:Image) is not on the engine: {ContainerRunner.DaemonMessage(e)}");
        }
        finally
        {
            if (helper is not null) await ContainerRunner.RemoveAsync(client, helper);
            if (source is not null) await ContainerRunner.RemoveAsync(client, source);
        }
    }
}
