using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Transport;

/// <summary>How a build ends when it is cancelled or its daemon goes away, against the Kestrel stand-in for buildkitd.</summary>
public sealed class DaemonTeardownTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Cancelling_a_build_cancels_the_daemons_solve_and_closes_its_session_call()
    {
        await using var daemon = await FakeBuildKitd.StartOnUnixSocketAsync(SocketPath());
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = daemon.Address });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");
        using var cancel = new CancellationTokenSource();

        var build = client.SolveAsync(new SolveRequest { ContextDirectory = work.Context, Target = "hang" }, null, cancel.Token);
        await daemon.Control.HangingSolveStarted.Task.WaitAsync(Patience);
        var clock = Stopwatch.StartNew();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build.WaitAsync(Patience));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"cancelling took {clock.Elapsed}");
        await daemon.Control.HangingSolveCancelled.Task.WaitAsync(Patience);
        Assert.Equal(0, client.ActiveSessions);
        Assert.True(await EventuallyAsync(() => daemon.Control.OpenSessions == 0), "the daemon still holds the session call");
    }

    [Fact]
    public async Task A_daemon_that_dies_during_a_build_fails_it_promptly_with_the_address_named()
    {
        await using var daemon = await FakeBuildKitd.StartOnUnixSocketAsync(SocketPath());
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = daemon.Address });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");

        var build = client.SolveAsync(new SolveRequest { ContextDirectory = work.Context, Target = "hang" }, null, CancellationToken.None);
        await daemon.Control.HangingSolveStarted.Task.WaitAsync(Patience);
        var clock = Stopwatch.StartNew();
        await daemon.KillAsync();

        var error = await Assert.ThrowsAsync<BuildKitConnectionException>(() => build.WaitAsync(Patience));
        Assert.Contains(daemon.Address, error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"noticing took {clock.Elapsed}");
        Assert.Equal(0, client.ActiveSessions);
    }

    [Fact]
    public async Task An_engine_that_refuses_the_upgrades_fails_info_and_builds_with_its_words_and_its_address()
    {
        await using var engine = new RefusingEngine("page not found");
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = engine.Address });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");

        var info = await Assert.ThrowsAsync<BuildKitConnectionException>(() => client.GetInfoAsync(CancellationToken.None).WaitAsync(Patience));
        var build = await Assert.ThrowsAsync<BuildKitConnectionException>(() =>
            client.SolveAsync(new SolveRequest { ContextDirectory = work.Context }, null, CancellationToken.None).WaitAsync(Patience));

        foreach (var error in new[] { info, build })
        {
            Assert.Contains(engine.Address, error.Message);
            Assert.Contains("page not found", error.Message);
        }
        Assert.Equal(0, client.ActiveSessions);
    }

    [Fact]
    public async Task A_daemon_that_drops_the_session_call_fails_the_build_as_a_connection_failure_naming_the_address()
    {
        var socket = SocketPath();
        await using var daemon = await FakeBuildKitd.StartOnUnixSocketAsync(socket);
        await using var proxy = new SessionDroppingProxy(socket);
        await using var client = BuildKitClient.Create(new BuildKitClientOptions { Address = proxy.Address });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");

        var error = await Assert.ThrowsAsync<BuildKitConnectionException>(() =>
            client.SolveAsync(new SolveRequest { ContextDirectory = work.Context }, null, CancellationToken.None).WaitAsync(Patience));

        Assert.Contains(proxy.Address, error.Message);
        Assert.Equal(0, client.ActiveSessions);
    }

    [Fact]
    public async Task A_finished_build_keeps_only_the_control_connection_and_disposing_the_client_closes_that_too()
    {
        var socket = SocketPath();
        await using var daemon = await FakeBuildKitd.StartOnUnixSocketAsync(socket);
        await using var proxy = new SessionDroppingProxy(socket, dropSessions: false);
        var client = BuildKitClient.Create(new BuildKitClientOptions { Address = proxy.Address });
        using var work = new BuildDirectory().With("Dockerfile", "FROM scratch\n");

        await client.SolveAsync(new SolveRequest { ContextDirectory = work.Context }, null, CancellationToken.None).WaitAsync(Patience);
        Assert.True(await EventuallyAsync(() => proxy.OpenConnections == 1), $"{proxy.OpenConnections} connections after the build");
        await client.DisposeAsync();

        Assert.True(await EventuallyAsync(() => proxy.OpenConnections == 0), $"{proxy.OpenConnections} connections after disposing the client");
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var deadline = DateTime.UtcNow + Patience; !condition(); await Task.Delay(50))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
        }
        return true;
    }

    private static string SocketPath() => Path.Combine(Path.GetTempPath(), $"bk-{Guid.NewGuid():N}.sock");
}
