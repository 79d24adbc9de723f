using HybridBuild.BuildKit.Client.Protocol.Health;
using HybridBuild.BuildKit.Client.Protocol.Secrets;
// Aliased: the test project also has a FileSync namespace.
using FileSyncClient = HybridBuild.BuildKit.Client.Protocol.FileSync.FileSync.FileSyncClient;

namespace HybridBuild.BuildKit.Tests.Session;

public sealed class SessionHostTests
{
    [Fact]
    public async Task Health_answers_serving_on_a_session_tunnel()
    {
        await using var loopback = await SessionLoopback.StartAsync(new BuildSession("key"));

        var response = await new Health.HealthClient(loopback.Channel)
            .CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.Add(SessionLoopback.Patience));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task An_idle_session_stays_open_across_kestrel_heartbeats()
    {
        await using var loopback = await SessionLoopback.StartAsync(new BuildSession("key"));
        var health = new Health.HealthClient(loopback.Channel);
        await health.CheckAsync(new HealthCheckRequest());

        // Kestrel checks idle connections once a second; daemons probe every 1 to 5 seconds.
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.False(loopback.Serving.IsCompleted, "the idle session was closed");
        var response = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.Add(SessionLoopback.Patience));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task A_call_on_a_connection_without_a_session_is_refused()
    {
        await using var loopback = await SessionLoopback.StartAsync(session: null);

        var refused = await Assert.ThrowsAsync<RpcException>(() => new Secrets.SecretsClient(loopback.Channel)
            .GetSecretAsync(new GetSecretRequest { ID = "token" }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Fact]
    public async Task Serving_ends_and_no_session_stays_active_when_the_daemon_closes_the_tunnel()
    {
        await using var loopback = await SessionLoopback.StartAsync(new BuildSession("key"));
        await new Health.HealthClient(loopback.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(1, loopback.Host.ActiveSessions);

        await loopback.DaemonEnd.DisposeAsync();

        await loopback.Serving.WaitAsync(SessionLoopback.Patience);
        Assert.Equal(0, loopback.Host.ActiveSessions);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Closing_a_tunnel_logs_no_exception_from_the_session_host(bool daemonCloses)
    {
        var logs = new RecordingLoggerFactory();
        await using (var loopback = await SessionLoopback.StartAsync(new BuildSession("key"), logs))
        {
            await new Health.HealthClient(loopback.Channel).CheckAsync(new HealthCheckRequest());

            if (daemonCloses)
            {
                await loopback.DaemonEnd.DisposeAsync();
            }
            else
            {
                await loopback.CancelAsync();
            }

            await loopback.Serving.WaitAsync(SessionLoopback.Patience);
        }

        // Kestrel aborts a closing connection with a null reason; that must not fail our Abort.
        Assert.DoesNotContain(logs.Entries, entry => entry.Message.Contains("Object reference", StringComparison.Ordinal)
            || entry.Exception is NullReferenceException || entry.Exception?.InnerException is NullReferenceException);
    }

    [Fact]
    public async Task Cancelling_ends_serving_and_closes_the_tunnel_for_the_daemon()
    {
        await using var loopback = await SessionLoopback.StartAsync(new BuildSession("key"));
        var health = new Health.HealthClient(loopback.Channel);
        await health.CheckAsync(new HealthCheckRequest());

        await loopback.CancelAsync();

        await loopback.Serving.WaitAsync(SessionLoopback.Patience);
        Assert.Equal(0, loopback.Host.ActiveSessions);
        var after = await Assert.ThrowsAsync<RpcException>(() => health
            .CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.Add(SessionLoopback.Patience)).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, after.StatusCode);
    }

    [Fact]
    public async Task Health_answers_while_a_large_file_waits_for_the_daemon_to_read_it()
    {
        using var context = new TempDirectory();
        context.WriteFile("big.bin", new byte[8 * 1024 * 1024]);
        var session = new BuildSession("key") { LocalDirectories = { ["context"] = context.Path } };
        await using var loopback = await SessionLoopback.StartAsync(session);
        using var transfer = new FileSyncClient(loopback.Channel).DiffCopy(new Metadata { { "dir-name", "context" } });
        // Ask for the file, then stop reading: its data fills the flow-control windows and the sender blocks.
        await transfer.RequestStream.WriteAsync(new() { Type = Client.Protocol.Fsutil.PacketType.PacketReq, ID = 0 });
        Assert.True(await transfer.ResponseStream.MoveNext());

        // Behind the transfer it would never be answered, since the test never reads the file's data.
        var response = await new Health.HealthClient(loopback.Channel)
            .CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Serving_after_the_host_is_disposed_is_refused()
    {
        var host = await SessionHost.StartAsync(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, CancellationToken.None);
        await host.DisposeAsync();
        var (_, sessionEnd) = InMemoryTunnel.Create();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => host.ServeAsync(sessionEnd, new BuildSession("key"), CancellationToken.None));
    }
}
