using System.Collections.Concurrent;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace HybridBuild.BuildKit.Docker;

/// <summary>
/// Runs verification containers through the Docker Engine API, on the engine that holds the image: labelled
/// (<see cref="EngineLabels"/>), without a network unless asked, and removed in every case. A <c>wasi/wasm</c> image on
/// an engine without a wasm runtime runs in a helper container instead (<see cref="WasiRun"/>).
/// </summary>
internal sealed class ContainerRunner(IOptions<DockerEngineOptions> docker, IOptions<WasiOptions> wasi, IBuilders builders, TimeProvider clock)
    : IContainerRunner, IDisposable
{
    private readonly ConcurrentDictionary<string, DockerClient> _clients = new(StringComparer.Ordinal);

    public async Task<ContainerRunResult> RunAsync(ContainerRunRequest request, IBuildProgress output, CancellationToken cancellationToken)
    {
        var host = request.DockerHost ?? docker.Value.ResolvedHost;
        var client = Client(host);
        try
        {
            var info = await client.System.GetSystemInfoAsync(cancellationToken);
            if (request.Runtime is { } runtime && info.Runtimes?.ContainsKey(runtime) != true)
                return ContainerRunResult.NotRun($"the Docker engine at {host} has no runtime '{runtime}' (it has: {string.Join(", ", info.Runtimes?.Keys ?? [])}); "
                    + "install its shim on the engine, or leave run.runtime out");
            var image = await InspectOrPullAsync(client, request.Image, cancellationToken);
            if (request.Runtime is null && IsWasm(image))
                return await new WasiRun(client, wasi.Value, clock).RunAsync(request, image, output, cancellationToken);

            var id = await CreateAsync(client, request.Image, request.Command, request.Env.Select(e => $"{e.Key}={e.Value}"), request, cancellationToken);
            try
            {
                var exitCode = await StartAndWaitAsync(client, id, output, clock, cancellationToken);
                return ContainerRunResult.Exited(exitCode, request.Runtime ?? info.DefaultRuntime ?? "runc");
            }
            finally
            {
                await RemoveAsync(client, id);
            }
        }
        catch (DockerApiException e) when (!cancellationToken.IsCancellationRequested)
        {
            return ContainerRunResult.NotRun($"the Docker engine at {host} refused the run of '{request.Image}': {DaemonMessage(e)}");
        }
    }

    public async Task<int> SweepAsync(Func<IReadOnlyList<RunContainer>, CancellationToken, Task<IReadOnlySet<string>>> ended, CancellationToken cancellationToken)
    {
        var hosts = builders.All.Select(b => b.DockerHost).Append(docker.Value.ResolvedHost).OfType<string>().Distinct(StringComparer.Ordinal);
        var removed = 0;
        foreach (var host in hosts)
        {
            var client = Client(host);
            var listed = await client.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [EngineLabels.Run] = true } },
            }, cancellationToken);
            var containers = listed.Select(c => new RunContainer(c.ID, Label(c, EngineLabels.BuildId), Label(c, EngineLabels.Run),
                new DateTimeOffset(DateTime.SpecifyKind(c.Created, DateTimeKind.Utc)))).ToList();
            foreach (var id in await ended(containers, cancellationToken))
            {
                await RemoveAsync(client, id);
                removed++;
            }
        }
        return removed;
    }

    private static Guid Label(ContainerListResponse container, string label) =>
        container.Labels is { } labels && labels.TryGetValue(label, out var value) && Guid.TryParse(value, out var id) ? id : Guid.Empty;

    internal static async Task<string> CreateAsync(DockerClient client, string image, IEnumerable<string>? command, IEnumerable<string> env,
        ContainerRunRequest request, CancellationToken cancellationToken)
    {
        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Cmd = command?.ToList()!,
            Env = [.. env],
            Labels = request.Labels.ToDictionary(),
            HostConfig = new HostConfig { NetworkMode = request.Network ? "default" : "none", Runtime = request.Runtime },
        }, cancellationToken);
        return created.ID;
    }

    /// <summary>Starts the container, passes its output on and returns its exit code.</summary>
    internal static async Task<int> StartAndWaitAsync(DockerClient client, string id, IBuildProgress output, TimeProvider clock, CancellationToken cancellationToken)
    {
        await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken);
        using var logs = await client.Containers.GetContainerLogsAsync(id,
            new ContainerLogsParameters { Follow = true, ShowStdout = true, ShowStderr = true }, cancellationToken);
        var copy = ContainerOutput.CopyAsync(logs, output, clock, cancellationToken);
        try
        {
            var exit = await client.Containers.WaitContainerAsync(id, cancellationToken);
            await copy;
            return (int)exit.StatusCode;
        }
        catch when (!copy.IsCompleted)
        {
            // stopped (cancelled, timed out): the output stream ends with the container; nobody waits for the copy
            _ = copy.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>Removes a container the run made, stopping it first; not cancellable, so a cancelled run still cleans up.</summary>
    internal static async Task RemoveAsync(DockerClient client, string id)
    {
        try
        {
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // already being removed (the sweep, or the engine)
        }
    }

    internal static string DaemonMessage(DockerApiException e) =>
        string.IsNullOrWhiteSpace(e.ResponseBody) ? e.Message : e.ResponseBody.Trim();

    private static bool IsWasm(ImageInspectResponse image) => image.Os == "wasi" || image.Architecture == "wasm";

    /// <summary>The image, pulled first when the engine lacks it; a pull the engine refuses throws with the daemon's reason.</summary>
    private static async Task<ImageInspectResponse> InspectOrPullAsync(DockerClient client, string image, CancellationToken cancellationToken)
    {
        try
        {
            return await client.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
        }
        // without a tag the engine would pull every tag of the repository
        var tagAt = image.LastIndexOf(':');
        var (repository, tag) = tagAt > image.LastIndexOf('/') ? (image[..tagAt], image[(tagAt + 1)..]) : (image, "latest");
        await client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = repository, Tag = tag }, null, new Progress<JSONMessage>(), cancellationToken);
        return await client.Images.InspectImageAsync(image, cancellationToken);
    }

    private DockerClient Client(string host) =>
        _clients.GetOrAdd(host, h => new DockerClientBuilder().WithEndpoint(new Uri(h)).Build());

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
    }
}
