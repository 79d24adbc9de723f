using Grpc.Net.Client;
using HybridBuild.BuildKit.Client.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Wire = HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Client;

/// <summary>
/// A native BuildKit client: Dockerfile builds over gRPC against a Docker Engine's embedded BuildKit or a
/// standalone buildkitd, with the session (context upload, local exports, credentials, secrets) served in-process.
/// Also measures and prunes the daemon's build cache. Thread-safe; builds may run concurrently. Dispose it to close its connections and its session server.
/// </summary>
public sealed class BuildKitClient : IAsyncDisposable
{
    private readonly BuildKitClientOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IDaemonConnector _connector;
    private readonly GrpcChannel _channel;
    private readonly Wire.Control.ControlClient _control;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _hostLock = new();
    private Task<SessionHost>? _host;

    private BuildKitClient(BuildKitClientOptions options, ILoggerFactory loggerFactory, IDaemonConnector connector)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _connector = connector;
        _channel = ControlChannel.Create(connector, loggerFactory);
        _control = new Wire.Control.ControlClient(_channel);
    }

    /// <summary>Creates a client; nothing connects until the first call.</summary>
    /// <exception cref="FormatException">The address is not one of the supported forms.</exception>
    /// <exception cref="ArgumentException">The TLS options do not fit the address.</exception>
    public static BuildKitClient Create(BuildKitClientOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var address = BuildKitAddress.Parse(options.Address);
        return new BuildKitClient(options, loggerFactory ?? NullLoggerFactory.Instance,
            ControlChannel.CreateConnector(address, options.Tls, options.SessionVia));
    }

    /// <summary>The daemon's version (when it reports one) and its workers.</summary>
    /// <exception cref="BuildKitConnectionException">The daemon cannot be reached.</exception>
    public async Task<DaemonInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        try
        {
            var version = await GetVersionAsync(cancellationToken);
            var workers = await _control.ListWorkersAsync(new Wire.ListWorkersRequest(), cancellationToken: cancellationToken);
            return new DaemonInfo(version, [.. workers.Record.Select(w => new WorkerInfo(
                w.ID,
                [.. w.Platforms.Select(p => string.Join('/', new[] { p.OS, p.Architecture, p.Variant }.Where(part => part.Length > 0)))],
                w.Labels.ToDictionary(),
                ToVersion(w.BuildkitVersion)))]);
        }
        catch (RpcException e) when (IsConnectionFailure(e))
        {
            throw ConnectionFailure(e, _connector.Address);
        }
    }

    private async Task<BuildKitVersion?> GetVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return ToVersion((await _control.InfoAsync(new Wire.InfoRequest(), cancellationToken: cancellationToken)).BuildkitVersion);
        }
        // Daemons before v0.11 have no Info; being answered at all proves the daemon is there.
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return null;
        }
    }

    /// <summary>The records of the daemon's build cache that match every filter (BuildKit's syntax, as <see cref="PruneOptions.Filters"/>).</summary>
    /// <exception cref="BuildKitConnectionException">The daemon cannot be reached.</exception>
    public Task<IReadOnlyList<CacheRecord>> DiskUsageAsync(IReadOnlyList<string>? filters, CancellationToken cancellationToken) =>
        CallAsync(() => CacheCalls.DiskUsageAsync(_control, filters ?? [], cancellationToken));

    /// <summary>
    /// Removes build cache records no build is using, as <paramref name="options"/> bound it, and returns how many and
    /// how many bytes. Records a running build holds are never removed.
    /// </summary>
    /// <exception cref="BuildKitConnectionException">The daemon cannot be reached.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or duration is negative.</exception>
    public Task<PruneResult> PruneAsync(PruneOptions options, CancellationToken cancellationToken)
    {
        var request = CacheCalls.ToRequest(options);
        return CallAsync(() => CacheCalls.PruneAsync(_control, request, cancellationToken));
    }

    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        try
        {
            return await call();
        }
        catch (RpcException e) when (IsConnectionFailure(e))
        {
            throw ConnectionFailure(e, _connector.Address);
        }
    }

    /// <summary>
    /// Runs one build: starts its session, solves with the Dockerfile frontend, reports progress, and returns when
    /// the build and all its exports have finished. Cancelling stops the build on the daemon and ends the session.
    /// </summary>
    /// <exception cref="BuildKitSolveException">The build or an export failed; the message is the daemon's.</exception>
    /// <exception cref="BuildKitConnectionException">The daemon cannot be reached or refused the session.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<SolveResult> SolveAsync(SolveRequest request, ISolveProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        SolveRequestValidator.Validate(request);
        var host = await GetSessionHostAsync(cancellationToken);
        var run = new SolveRun(_control, _connector, host, _options, _loggerFactory.CreateLogger<BuildKitClient>());
        return await run.RunAsync(request, progress, cancellationToken);
    }

    private Task<SessionHost> GetSessionHostAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        lock (_hostLock)
        {
            // Started once, on the client's lifetime rather than the first caller's token; a failed start is retried.
            if (_host is null || _host.IsFaulted || _host.IsCanceled)
            {
                _host = SessionHost.StartAsync(_loggerFactory, _disposed.Token);
            }
            return _host.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Sessions being served right now (for tests: none may outlive their build).</summary>
    internal int ActiveSessions
    {
        get
        {
            lock (_hostLock)
            {
                return _host is { IsCompletedSuccessfully: true } host ? host.Result.ActiveSessions : 0;
            }
        }
    }

    /// <summary>The call never reached the daemon: the connection (socket, upgrade or TLS) failed.</summary>
    internal static bool IsConnectionFailure(RpcException e) =>
        e.StatusCode is StatusCode.Unavailable or StatusCode.Internal
        && e.InnerException is HttpRequestException or BuildKitConnectionException or IOException;

    /// <summary>The dialer's own error when it has one (it names the address), else the innermost cause.</summary>
    internal static BuildKitConnectionException ConnectionFailure(RpcException e, BuildKitAddress address)
    {
        var innermost = (Exception)e;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is BuildKitConnectionException connection)
            {
                return new BuildKitConnectionException(connection.Message, e);
            }
            innermost = inner;
        }
        var cause = ReferenceEquals(innermost, e) ? e.Status.Detail : innermost.Message;
        return new BuildKitConnectionException($"BuildKit at {address} is unavailable: {cause}", e);
    }

    private static BuildKitVersion? ToVersion(Wire.BuildkitVersion? version) =>
        version is null || (version.Version.Length == 0 && version.Package.Length == 0)
            ? null
            : new BuildKitVersion(version.Package, version.Version, version.Revision);

    /// <summary>Closes the Control channel and the session server; builds still running fail.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        await _disposed.CancelAsync();
        Task<SessionHost>? host;
        lock (_hostLock)
        {
            host = _host;
        }
        // A host that never started (cancelled, failed) has nothing to stop.
        if (host is not null && await host.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default) is { } started)
        {
            await started.DisposeAsync();
        }
        _channel.Dispose();
    }
}
