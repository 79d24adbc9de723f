using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace HybridBuild.Testing;

/// <summary>
/// A second, independent Docker engine that the tests start themselves on the first one: dockerd 26 in a privileged
/// container (Docker in Docker), from the image DockerInDocker/Dockerfile describes (built on first use, then reused
/// by its content hash), with the containerd image store, a BuildKit that does not clip step logs
/// (BUILDKIT_STEP_LOG_MAX_SIZE=-1, BUILDKIT_STEP_LOG_MAX_SPEED=-1), busybox copied in from the first engine, and its
/// socket in a private directory of the test process. Its container is labelled <see cref="Label"/>=<see cref="LabelValue"/>
/// and <see cref="OwnerLabel"/>=host:pid, so one a killed test run left behind is found (and removed by the next run on this machine):
/// <c>docker ps -a --filter label=hybridbuild.test=docker-engine</c>.
/// </summary>
public sealed class NestedDockerEngine : IAsyncDisposable
{
    public const string Label = "hybridbuild.test", LabelValue = "docker-engine", OwnerLabel = "hybridbuild.test.owner";
    private const string ImageRepository = "hybridbuild-test-engine";

    private readonly DockerClient _first;
    private readonly string _containerId;
    private readonly string _directory;

    private NestedDockerEngine(DockerClient first, string containerId, string directory)
    {
        _first = first;
        _containerId = containerId;
        _directory = directory;
    }

    /// <summary>The unix socket of the engine, as the test process and the service processes it starts reach it.</summary>
    public string Socket => Path.Combine(_directory, "docker.sock");

    /// <summary>The engine's address in DOCKER_HOST form.</summary>
    public string Host => "unix://" + Socket;

    /// <summary>
    /// Builds the image if the first engine (<paramref name="firstHost"/>, in DOCKER_HOST form) lacks it, starts the
    /// engine and waits until it answers with busybox in its image store; fails saying what went wrong.
    /// </summary>
    public static async Task<NestedDockerEngine> StartAsync(string firstHost, CancellationToken cancellationToken = default)
    {
        var first = await DockerCheck.ConnectAsync(firstHost);
        string? containerId = null;
        // short: a unix socket's path has to fit in 108 bytes
        var directory = Directory.CreateTempSubdirectory("hbs-engine-").FullName;
        try
        {
            await RemoveOrphansAsync(first, cancellationToken);
            var image = await EnsureImageAsync(first, firstHost, cancellationToken);
            var created = await first.Containers.CreateContainerAsync(new CreateContainerParameters
            {
                Image = image,
                Name = $"hybridbuild-test-engine-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}",
                Env = ["BUILDKIT_STEP_LOG_MAX_SIZE=-1", "BUILDKIT_STEP_LOG_MAX_SPEED=-1", $"ENGINE_SOCKET_GID={EffectiveGroupId()}"],
                Labels = new Dictionary<string, string> { [Label] = LabelValue, [OwnerLabel] = Owner },
                HostConfig = new HostConfig { Privileged = true, Binds = [$"{directory}:/run/engine"] },
            }, cancellationToken);
            containerId = created.ID;
            await first.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken);
            var engine = new NestedDockerEngine(first, containerId, directory);
            await engine.WaitAnsweringAsync(cancellationToken);
            await engine.LoadAsync("busybox:latest", cancellationToken);
            return engine;
        }
        catch (Exception e)
        {
            var logs = containerId is null ? "" : await TailAsync(first, containerId);
            if (containerId is not null) await RemoveAsync(first, containerId);
            TryDelete(directory);
            first.Dispose();
            throw new InvalidOperationException(
                "These tests start a second Docker engine (Docker in Docker: a privileged container running dockerd, built from "
                + $"tests/HybridBuild.Testing/DockerInDocker/Dockerfile) on the engine at {firstHost}, and it failed: {e.Message}"
                + (logs.Length > 0 ? $"\nIts last log lines:\n{logs}" : "")
                + "\nOr give one: HYBRIDBUILD_TEST_SECOND_DOCKER (a unix socket path) and HYBRIDBUILD_TEST_UNCLIPPED_DOCKER_HOST.", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RemoveAsync(_first, _containerId);
        TryDelete(_directory);
        _first.Dispose();
    }

    private static string Owner => $"{System.Net.Dns.GetHostName()}:{Environment.ProcessId}";

    /// <summary>The image, tagged with the hash of what it is built from, so a changed Dockerfile is built again.</summary>
    private static async Task<string> EnsureImageAsync(DockerClient first, string firstHost, CancellationToken cancellationToken)
    {
        var files = new[] { "Dockerfile", "engine.sh" }.ToDictionary(f => f, Resource);
        var hash = Convert.ToHexStringLower(SHA256.HashData(files.OrderBy(f => f.Key, StringComparer.Ordinal).SelectMany(f => f.Value).ToArray()))[..16];
        var image = $"{ImageRepository}:{hash}";
        try
        {
            await first.Images.InspectImageAsync(image, cancellationToken);
            return image;
        }
        catch (DockerImageNotFoundException) { }

        var context = Directory.CreateTempSubdirectory("hbs-engine-image-").FullName;
        try
        {
            foreach (var (name, content) in files) await File.WriteAllBytesAsync(Path.Combine(context, name), content, cancellationToken);
            var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["buildx", "build", "--load", "--progress=plain", "--label", $"{Label}=engine-image", "-t", image, context])
                start.ArgumentList.Add(arg);
            start.Environment["DOCKER_HOST"] = firstHost;
            using var docker = Process.Start(start) ?? throw new InvalidOperationException("the docker CLI could not be started");
            var output = docker.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = docker.StandardError.ReadToEndAsync(cancellationToken);
            await docker.WaitForExitAsync(cancellationToken);
            if (docker.ExitCode != 0)
                throw new InvalidOperationException($"docker buildx build of {image} exited with {docker.ExitCode}:\n"
                    + string.Join('\n', (await output + await error).Split('\n').TakeLast(30)));
            return image;
        }
        finally
        {
            TryDelete(context);
        }
    }

    private static byte[] Resource(string name)
    {
        using var stream = typeof(NestedDockerEngine).Assembly.GetManifestResourceStream($"DockerInDocker/{name}")
            ?? throw new InvalidOperationException($"DockerInDocker/{name} is not embedded in {typeof(NestedDockerEngine).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Containers of this machine's test runs whose process is gone: a run that was killed before it could remove its engine.</summary>
    private static async Task RemoveOrphansAsync(DockerClient first, CancellationToken cancellationToken)
    {
        var containers = await first.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{Label}={LabelValue}"] = true } },
        }, cancellationToken);
        var host = System.Net.Dns.GetHostName();
        foreach (var container in containers)
        {
            if (!container.Labels.TryGetValue(OwnerLabel, out var owner) || owner.Split(':') is not [var ownerHost, var pid]
                || ownerHost != host || !int.TryParse(pid, out var id) || IsRunning(id))
                continue;
            await RemoveAsync(first, container.ID);
            foreach (var mount in (container.Mounts ?? []).Where(m => m.Destination == "/run/engine" && m.Source.StartsWith(Path.GetTempPath(), StringComparison.Ordinal)))
                TryDelete(mount.Source);
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async Task WaitAnsweringAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (File.Exists(Socket))
            {
                try
                {
                    using var second = new DockerClientBuilder().WithEndpoint(new Uri(Host)).Build();
                    await second.System.PingAsync(cancellationToken);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException && deadline.Elapsed < TimeSpan.FromMinutes(2)) { }
            }
            var state = (await _first.Containers.InspectContainerAsync(_containerId, cancellationToken)).State;
            if (state is not { Running: true }) throw new InvalidOperationException($"its container exited with {state?.ExitCode}");
            if (deadline.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"its dockerd did not answer on {Socket} within 2 minutes");
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>docker save on the first engine, docker load on this one: nothing is pulled.</summary>
    private async Task LoadAsync(string image, CancellationToken cancellationToken)
    {
        using var archive = new MemoryStream();
        try
        {
            await using var saved = await _first.Images.SaveImageAsync(image, cancellationToken);
            await saved.CopyToAsync(archive, cancellationToken);
        }
        catch (DockerApiException e)
        {
            throw new InvalidOperationException($"the first engine has no {image} to copy into it: {e.Message}", e);
        }
        archive.Position = 0;
        using var second = new DockerClientBuilder().WithEndpoint(new Uri(Host)).Build();
        await second.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, archive, new Progress<JSONMessage>(), cancellationToken);
        await second.Images.InspectImageAsync(image, cancellationToken);
    }

    private static async Task<string> TailAsync(DockerClient first, string containerId)
    {
        try
        {
            using var logs = await first.Containers.GetContainerLogsAsync(containerId, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = "20" });
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(CancellationToken.None);
            return (stdout + stderr).Trim();
        }
        catch (Exception e)
        {
            return $"(its logs could not be read: {e.Message})";
        }
    }

    private static async Task RemoveAsync(DockerClient first, string containerId)
    {
        try
        {
            // its volume (/var/lib/docker: the images and build cache of this run) goes with it
            await first.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
        catch (DockerContainerNotFoundException) { }
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The group the engine's socket is given, so a test process that is not root can connect (Linux: /proc/self/status).</summary>
    private static string EffectiveGroupId()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Gid:", StringComparison.Ordinal));
            return line?.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[2] ?? "0";
        }
        catch (IOException)
        {
            return "0";
        }
    }
}

/// <summary>
/// A <see cref="NestedDockerEngine"/> started on first use and then shared: once per test run, by the collection fixture
/// that owns this and disposes it (which removes the engine, if one was started).
/// </summary>
public sealed class SharedNestedDockerEngine(string firstHost) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private Task<NestedDockerEngine>? _started;

    public Task<NestedDockerEngine> GetAsync()
    {
        lock (_lock) return _started ??= NestedDockerEngine.StartAsync(firstHost);
    }

    public async ValueTask DisposeAsync()
    {
        Task<NestedDockerEngine>? started;
        lock (_lock) started = _started;
        if (started is null) return;
        try
        {
            await (await started).DisposeAsync();
        }
        catch (InvalidOperationException) { } // it never started, and cleaned up after itself
    }
}
