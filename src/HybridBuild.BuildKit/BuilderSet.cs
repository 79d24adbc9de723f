using HybridBuild.BuildKit.Docker;
using HybridBuild.BuildKit.Native;
using Microsoft.Extensions.Logging;

namespace HybridBuild.BuildKit;

/// <summary>
/// The builders of "Engine:Builders", each a native engine on its own daemon. Without that list there is one builder,
/// "default": the engine of Engine:Provider (native on Engine:Native:Address, or buildx) with Worker:Concurrency-bound solves.
/// </summary>
internal sealed class BuilderSet : IBuilders, IAsyncDisposable
{
    public const string DefaultName = "default";
    private readonly List<NativeEngine> _owned = [];

    /// <param name="single">The engine of Engine:Provider, asked for only when no pool is configured.</param>
    public BuilderSet(IOptions<EngineOptions> engine, IOptions<NativeEngineOptions> native, IOptions<DockerEngineOptions> docker,
        DockerEngine dockerEngine, Func<IBuildEngine> single, ILoggerFactory loggerFactory)
    {
        if (engine.Value.Builders.Count == 0)
        {
            All = [new Builder(DefaultName, single(), int.MaxValue, [])
            {
                Cache = BuilderOptions.ToCacheLimit(native.Value.CacheKeepStorageMiB, native.Value.CacheKeepFor),
                // buildx loads kept images into the configured engine, as the native engine does on it by default
                DockerHost = engine.Value.Provider.Equals("buildx", StringComparison.OrdinalIgnoreCase) ? docker.Value.ResolvedHost
                    : DockerHostOf(native.Value.Address, docker.Value.ResolvedHost),
            }];
            return;
        }
        All = [.. engine.Value.Builders.Select(b =>
        {
            var nativeEngine = new NativeEngine(native.Value with { Address = b.Address, Tls = b.Tls, SessionVia = b.SessionVia },
                engine, docker, dockerEngine, loggerFactory);
            _owned.Add(nativeEngine);
            return new Builder(b.Name, nativeEngine, b.MaxSolves, b.Platforms)
            {
                Cache = b.CacheLimit, DockerHost = DockerHostOf(b.Address, docker.Value.ResolvedHost),
            };
        })];
    }

    public IReadOnlyList<Builder> All { get; }

    /// <summary>The Docker engine of a BuildKit address (<c>docker</c> is Engine:Docker:Host); null for a buildkitd.</summary>
    internal static string? DockerHostOf(string? address, string configuredHost) => address?.Trim() switch
    {
        null or "" or "docker" => configuredHost,
        var a when a.StartsWith("docker+", StringComparison.Ordinal) => a["docker+".Length..],
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in _owned) await engine.DisposeAsync();
    }
}
