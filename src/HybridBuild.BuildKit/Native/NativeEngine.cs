using Grpc.Core;
using HybridBuild.BuildKit.Client;
using HybridBuild.BuildKit.Client.Session;
using HybridBuild.BuildKit.Client.Transport;
using HybridBuild.BuildKit.Docker;
using HybridBuild.BuildKit.Progress;
using ClientStatus = HybridBuild.BuildKit.Client.SolveStatus;
using StatusModel = HybridBuild.BuildKit.Progress.SolveStatus;
using HybridBuild.Core.Domain;
using Microsoft.Extensions.Logging;

namespace HybridBuild.BuildKit.Native;

/// <summary>
/// Builds stages in process through the native BuildKit client: no CLI, the context streamed from the stage's
/// directory, exported files received straight into the output directory, progress from BuildKit's status stream.
/// </summary>
internal sealed partial class NativeEngine : IBuildEngine, IAsyncDisposable
{
    private readonly NativeEngineOptions _options;
    private readonly IOptions<EngineOptions> _engine;
    private readonly DockerEngine _docker;
    private readonly ILogger<NativeEngine> _logger;
    private readonly BuildKitAddress _address;
    private readonly BuildKitClient _client;
    // Image removal and the engine description go through the Docker client (Engine:Docker:Host): only right when
    // BuildKit runs in that same engine, not in another one named by Engine:Native:Address.
    private readonly bool _onDockerClientsEngine;

    public NativeEngine(IOptions<NativeEngineOptions> options, IOptions<EngineOptions> engine, IOptions<DockerEngineOptions> dockerOptions,
        DockerEngine docker, ILoggerFactory loggerFactory)
        : this(options.Value, engine, dockerOptions, docker, loggerFactory)
    {
    }

    /// <summary>An engine for one daemon of the pool: <paramref name="options"/> carries that builder's address and TLS.</summary>
    internal NativeEngine(NativeEngineOptions options, IOptions<EngineOptions> engine, IOptions<DockerEngineOptions> dockerOptions,
        DockerEngine docker, ILoggerFactory loggerFactory)
    {
        _options = options;
        _engine = engine;
        _docker = docker;
        _logger = loggerFactory.CreateLogger<NativeEngine>();
        // "docker" means the same engine the Docker client talks to
        var address = string.IsNullOrWhiteSpace(_options.Address) || _options.Address.Trim() == "docker"
            ? "docker+" + dockerOptions.Value.ResolvedHost
            : _options.Address;
        _address = BuildKitAddress.Parse(address);
        _onDockerClientsEngine = _address.Daemon == BuildKitDaemonKind.Docker && SameEndpoint(_address, "docker+" + dockerOptions.Value.ResolvedHost);
        _client = BuildKitClient.Create(new BuildKitClientOptions
        {
            Address = address,
            Tls = _options.Tls,
            SessionVia = _options.SessionVia,
            MaxExportEntries = _options.MaxExportEntries,
            MaxExportBytes = _options.MaxExportBytes,
        }, loggerFactory);
    }

    public string Name => "native";

    /// <summary>Sessions the daemon still holds open with this engine; zero when no build runs.</summary>
    public int ActiveSessions => _client.ActiveSessions;

    private bool OnDocker => _address.Daemon == BuildKitDaemonKind.Docker;

    private static bool SameEndpoint(BuildKitAddress address, string other)
    {
        try
        {
            var parsed = BuildKitAddress.Parse(other);
            return parsed.SocketPath == address.SocketPath && string.Equals(parsed.Host, address.Host, StringComparison.OrdinalIgnoreCase)
                && parsed.Port == address.Port;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public async Task<StageBuildResult> BuildAsync(StageBuildRequest request, IBuildProgress progress, CancellationToken cancellationToken)
    {
        var dockerfile = Path.GetFullPath(Path.Combine(request.ContextDirectory, request.Dockerfile));
        var steps = new StepTracker(progress);
        var solve = new SolveRequest
        {
            ContextDirectory = request.ContextDirectory,
            DockerfileDirectory = Path.GetDirectoryName(dockerfile),
            DockerfileName = Path.GetFileName(dockerfile),
            Target = request.Target,
            BuildArgs = request.BuildArgs,
            Platforms = request.Platforms,
            // buildx puts labels on images only; so do we, so that both engines build the same thing
            Labels = request.Output.Type == OutputType.Image ? request.Labels : new Dictionary<string, string>(),
            Secrets = request.Secrets,
            Credentials = Credentials,
            Exports = Exports(request),
            Attestations = StageAttestationRequests.For(request.Output.Attest, _engine.Value.Attestations),
            NoCache = request.Cache.NoCache,
            NoCacheFilter = request.Cache.NoCacheFilter,
            CacheImports = [.. request.Cache.From.Select(e => new CacheTransfer(e.Type, e.Attributes))],
            CacheExports = [.. request.Cache.To.Select(e => new CacheTransfer(e.Type, e.Attributes))],
        };
        LogStarting(request.Target ?? "(last stage)", string.Join(',', request.Platforms));
        try
        {
            var result = await _client.SolveAsync(solve, new StatusForwarder(steps), cancellationToken);
            steps.Complete();
            if (request.Output is { Type: OutputType.Image, Push: true } && _onDockerClientsEngine && _options.RemovePushedImages)
                foreach (var tag in request.Output.Tags)
                    await _docker.RemoveImageAsync(tag, CancellationToken.None);
            return StageBuildResult.Success(result.ImageDigest) with { ExportStreamed = request.Output.Type.StoresArtifacts() && request.ExportSink is not null };
        }
        catch (BuildKitSolveException e) when (!cancellationToken.IsCancellationRequested)
        {
            steps.Complete();
            return StageBuildResult.Failure(StageAttestationRequests.Explain(e.Message, request.Output.Attest, _engine.Value.Attestations));
        }
        // The daemon is down, unreachable or refused us: the stage fails with the reason (it names the address), as a
        // buildx run that cannot reach its builder does; the operator's log gets it too, since no build step failed.
        catch (BuildKitConnectionException e) when (!cancellationToken.IsCancellationRequested)
        {
            steps.Complete();
            LogUnreachable(e.Message, e);
            return StageBuildResult.NotReached(e.Message);
        }
    }

    public async Task<EngineStatus> CheckAsync(CancellationToken cancellationToken)
    {
        var info = await _client.GetInfoAsync(cancellationToken);
        var version = info.BuildKitVersion?.Version ?? info.Workers.Select(w => w.Version?.Version).FirstOrDefault(v => v is not null) ?? "unknown";
        var data = new Dictionary<string, object>
        {
            ["engine"] = Name,
            ["address"] = _address.ToString(),
            ["buildkitVersion"] = version,
            ["platforms"] = info.Workers.SelectMany(w => w.Platforms).Distinct().ToList(),
        };
        var description = $"BuildKit {version} at {_address}";
        if (_onDockerClientsEngine)
        {
            var docker = await _docker.DescribeAsync(cancellationToken);
            data["dockerVersion"] = docker.Version;
            data["imageStore"] = docker.ImageStore;
            description += $" (Docker engine {docker.Version}, {docker.ImageStore} image store)";
        }
        return new EngineStatus(info.Workers.Count > 0, info.Workers.Count > 0 ? description : $"{description} has no workers", data)
        {
            Platforms = [.. info.Workers.SelectMany(w => w.Platforms).Distinct()],
        };
    }

    private List<ExportRequest> Exports(StageBuildRequest request) => request.Output.Type switch
    {
        // streamed to the sink as it arrives when there is one: no copy in the output directory first
        OutputType.Artifacts when request.ExportSink is { } sink => [new ExportRequest.LocalFiles(new ExportSinkAdapter(sink))],
        OutputType.Artifacts => [new ExportRequest.Local(request.OutputDirectory ?? throw new ArgumentException("An artifacts output needs an output directory."))],
        // kept images go to the Docker engine's image store, as buildx's docker driver does; pushed ones are pushed
        OutputType.Image when !request.Output.Push && OnDocker => [new ExportRequest.DockerStore(request.Output.Tags)],
        OutputType.Image => [new ExportRequest.Image(request.Output.Tags, Push: request.Output.Push)],
        // the tarball streamed into the sink as one file, or written into the output directory
        OutputType.Oci or OutputType.Docker => [new ExportRequest.ImageArchive(
            request.Output.Type == OutputType.Docker ? ImageArchiveFormat.Docker : ImageArchiveFormat.Oci, request.Output.Tags,
            FilePath: request.ExportSink is null ? TarballPath(request) : null,
            Sink: request.ExportSink is { } archiveSink ? new ExportSinkAdapter(archiveSink) : null,
            SinkPath: StageOutput.ImageTarball)],
        _ => [],
    };

    private static string TarballPath(StageBuildRequest request)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(request.ImageTarballPath)!);
        return request.ImageTarballPath;
    }

    private RegistryCredential? Credentials(string host)
    {
        var entry = _engine.Value.Registries.FirstOrDefault(r => string.Equals(r.Host, host, StringComparison.OrdinalIgnoreCase));
        if (entry is null) return null;
        return new RegistryCredential(entry.Username, ReadPassword(entry));
    }

    /// <summary>
    /// An unreadable file is a configuration error to show in the build: as a plain exception it would reach BuildKit
    /// as "Exception was thrown by handler", and the push would fail without saying why. The file's content never
    /// appears in any message.
    /// </summary>
    private string ReadPassword(Core.Configuration.RegistryCredentialOptions entry)
    {
        try
        {
            return entry.ResolvePassword();
        }
        catch (InvalidOperationException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            LogPasswordFileUnreadable(entry.Host, entry.PasswordFile ?? "", reason);
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"the password file '{entry.PasswordFile}' for registry {entry.Host} (Engine:Registries) cannot be read: {reason}"));
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    /// <summary>The client's sink is the client library's own type (it does not know Core): this one passes each call on.</summary>
    private sealed class ExportSinkAdapter(IExportSink sink) : IExportFileSink
    {
        public ValueTask<Stream> OpenFileAsync(string path, CancellationToken cancellationToken) => sink.OpenFileAsync(path, cancellationToken);

        public ValueTask CompleteFileAsync(string path, Stream content, UnixFileMode mode, CancellationToken cancellationToken) =>
            sink.CompleteFileAsync(path, content, mode, cancellationToken);

        public ValueTask LinkAsync(string path, string source, CancellationToken cancellationToken) => sink.LinkAsync(path, source, cancellationToken);

        public void SymbolicLink(string path, string target) => sink.SymbolicLink(path, target);
    }

    /// <summary>Hands the client's status updates to the same step tracker the buildx engine feeds.</summary>
    private sealed class StatusForwarder(StepTracker steps) : ISolveProgress
    {
        public void OnStatus(ClientStatus status)
        {
            lock (steps)
                steps.Handle(new StatusModel(
                    [.. status.Vertexes.Select(v => new Vertex(v.Digest, v.Name, v.Started, v.Completed, v.Cached, v.Error))],
                    [.. status.Logs.Select(l => new VertexLog(l.Vertex, l.Stream, l.Data.ToArray(), l.Timestamp))]));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The password file {File} for registry {Host} cannot be read: {Reason}")]
    private partial void LogPasswordFileUnreadable(string host, string file, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "native build could not reach BuildKit: {Reason}")]
    private partial void LogUnreachable(string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "native build of target {Target} for platforms {Platforms}")]
    private partial void LogStarting(string target, string platforms);
}
