using System.Text.Json;
using HybridBuild.BuildKit.Docker;
using HybridBuild.Core.Domain;
using HybridBuild.Core.Processes;
using Microsoft.Extensions.Logging;

namespace HybridBuild.BuildKit.Buildx;

/// <summary>Builds stages by driving <c>docker buildx build</c> against a configured builder.</summary>
internal sealed partial class BuildxEngine(
    IOptions<BuildxOptions> options,
    IOptions<DockerEngineOptions> dockerOptions,
    IOptions<EngineOptions> engine,
    DockerEngine docker,
    ILogger<BuildxEngine> logger) : IBuildEngine
{
    private readonly SemaphoreSlim _builderLock = new(1, 1);
    private bool _builderReady;

    public string Name => "buildx";

    private BuildxOptions Options => options.Value;
    private bool UsesDockerDriver => string.IsNullOrEmpty(Options.Endpoint) && string.IsNullOrEmpty(Options.Builder);
    private string? Builder => string.IsNullOrEmpty(Options.Endpoint) ? Options.Builder : Options.RemoteBuilderName;

    public async Task<StageBuildResult> BuildAsync(StageBuildRequest request, IBuildProgress progress, CancellationToken cancellationToken)
    {
        await EnsureBuilderAsync(cancellationToken);
        var metadataFile = Path.Combine(Path.GetTempPath(), $"hybridbuild-{Guid.NewGuid():N}.json");
        try
        {
            var parser = new RawJsonProgressParser(progress);
            var arguments = BuildxArguments.For(request, Builder, metadataFile, Options.Provenance, engine.Value.Attestations);
            if (request.Output.Type is OutputType.Oci or OutputType.Docker)
                Directory.CreateDirectory(Path.GetDirectoryName(request.ImageTarballPath)!);
            LogStarting(request.Target ?? "(last stage)", string.Join(',', request.Platforms));
            var environment = Environment();
            foreach (var (id, variable) in BuildxArguments.SecretVariables(request))
                environment[variable] = System.Text.Encoding.UTF8.GetString(request.Secrets[id]);
            var result = await ProcessRunner.RunAsync(Options.DockerPath, arguments, request.ContextDirectory, environment,
                onStandardOutput: line => progress.Log(new LogLine(null, 1, line, DateTimeOffset.UtcNow)),
                onStandardError: parser.Feed,
                cancellationToken: cancellationToken);
            parser.Complete();
            if (result.ExitCode != 0)
                return StageBuildResult.Failure(StageAttestationRequests.Explain(parser.Error ?? parser.StepError
                    ?? $"docker buildx exited with code {result.ExitCode}: {string.Join('\n', result.StandardErrorTail.TakeLast(5))}",
                    request.Output.Attest, engine.Value.Attestations));

            var digest = await ReadDigestAsync(metadataFile, cancellationToken);
            if (request.Output is { Type: OutputType.Image, Push: true } && UsesDockerDriver && Options.RemovePushedImages)
                foreach (var tag in request.Output.Tags)
                    await docker.RemoveImageAsync(tag, CancellationToken.None);
            return StageBuildResult.Success(digest);
        }
        finally
        {
            File.Delete(metadataFile);
        }
    }

    public async Task<EngineStatus> CheckAsync(CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object> { ["engine"] = Name, ["builder"] = Builder ?? "default" };
        if (UsesDockerDriver)
        {
            var info = await docker.DescribeAsync(cancellationToken);
            data["dockerVersion"] = info.Version;
            data["imageStore"] = info.ImageStore;
            return new EngineStatus(true, $"Docker engine {info.Version} ({info.Os}/{info.Architecture}, {info.ImageStore} image store)", data);
        }
        await EnsureBuilderAsync(cancellationToken);
        var inspect = await ProcessRunner.RunAsync(Options.DockerPath, ["buildx", "inspect", "--bootstrap", Builder!],
            environment: Environment(), cancellationToken: cancellationToken);
        return new EngineStatus(inspect.ExitCode == 0,
            inspect.ExitCode == 0 ? $"buildx builder '{Builder}' answers" : $"buildx builder '{Builder}' does not answer: {string.Join(' ', inspect.StandardErrorTail)}",
            data);
    }

    private async Task EnsureBuilderAsync(CancellationToken cancellationToken)
    {
        if (_builderReady || string.IsNullOrEmpty(Options.Endpoint)) return;
        await _builderLock.WaitAsync(cancellationToken);
        try
        {
            if (_builderReady) return;
            var inspect = await ProcessRunner.RunAsync(Options.DockerPath, ["buildx", "inspect", Options.RemoteBuilderName],
                environment: Environment(), cancellationToken: cancellationToken);
            if (inspect.ExitCode != 0)
            {
                var create = await ProcessRunner.RunAsync(Options.DockerPath,
                    ["buildx", "create", "--name", Options.RemoteBuilderName, "--driver", "remote", Options.Endpoint],
                    environment: Environment(), cancellationToken: cancellationToken);
                if (create.ExitCode != 0)
                    throw new InvalidOperationException($"Could not create the buildx remote builder for {Options.Endpoint}: {string.Join('\n', create.StandardErrorTail)}");
                logger.LogInformation("Created buildx remote builder {Builder} for {Endpoint}", Options.RemoteBuilderName, Options.Endpoint);
            }
            _builderReady = true;
        }
        finally
        {
            _builderLock.Release();
        }
    }

    private Dictionary<string, string?> Environment() => new()
    {
        ["DOCKER_HOST"] = dockerOptions.Value.ResolvedHost,
        ["BUILDX_NO_DEFAULT_ATTESTATIONS"] = Options.Provenance ? null : "1",
        ["DOCKER_CLI_HINTS"] = "false",
    };

    private static async Task<string?> ReadDigestAsync(string metadataFile, CancellationToken cancellationToken)
    {
        if (!File.Exists(metadataFile)) return null;
        await using var stream = File.OpenRead(metadataFile);
        using var metadata = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return metadata.RootElement.TryGetProperty("containerimage.digest", out var digest) ? digest.GetString() : null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "buildx build of target {Target} for platforms {Platforms}")]
    private partial void LogStarting(string target, string platforms);
}
