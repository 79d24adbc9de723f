using HybridBuild.BuildKit.Client;

namespace HybridBuild.BuildKit.Tests.Solve;

[Collection(DockerDaemon.Collection)]
public sealed class CancellationTests
{
    [Theory]
    [InlineData(SessionVia.Upgrade)]
    [InlineData(SessionVia.Control)]
    public async Task Cancelling_a_running_build_stops_it_promptly_closes_its_session_and_leaves_the_client_usable(SessionVia sessionVia)
    {
        // A sleep length of its own, so that its process can be told apart from any other build's.
        var seconds = Random.Shared.Next(3000, 4000);
        using var work = new BuildDirectory()
            .With("Dockerfile", $"FROM busybox\nCOPY hello.txt /\nRUN echo sleeping && sleep {seconds}\n")
            .With("hello.txt", "hello\n");
        await using var client = await DockerDaemon.ConnectAsync(sessionVia);
        var sleeping = new TaskCompletionSource();
        var progress = new RecordedProgress
        {
            OnEach = s =>
            {
                if (s.Logs.Any(l => l.Data.Span.IndexOf("sleeping"u8) >= 0))
                {
                    sleeping.TrySetResult();
                }
            },
        };
        using var cancel = new CancellationTokenSource();

        var build = client.SolveAsync(new SolveRequest { ContextDirectory = work.Context, NoCache = true }, progress, cancel.Token);
        // A build that fails before it gets there must show its own error, not a timeout.
        if (await Task.WhenAny(sleeping.Task, build).WaitAsync(TimeSpan.FromMinutes(2)) == build)
        {
            await build;
            Assert.Fail("The build finished before it could be cancelled.");
        }
        var local = BuildKitAddress.Parse("docker").SocketPath is not null;
        Assert.True(!local || await EventuallyAsync(() => Running($"sleep\0{seconds}"), true), "the RUN step's process was never seen");
        var clock = Stopwatch.StartNew();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => build);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancelling took {clock.Elapsed}");
        Assert.Equal(0, client.ActiveSessions);
        await AssertNoProcessLeftAsync($"sleep\0{seconds}");

        work.With("Dockerfile", "FROM scratch\nCOPY hello.txt /\n");
        await client.SolveAsync(new SolveRequest
        {
            ContextDirectory = work.Context,
            Exports = [new ExportRequest.Local(work.Output("after"))],
        }, null, DockerDaemon.BuildDeadline());
        Assert.Equal("hello\n", BuildDirectory.Files(work.Output("after"))["hello.txt"]);
    }

    /// <summary>
    /// The daemon ended the build: its RUN process is gone. Checked through /proc when the engine runs on this
    /// machine (the test hosts run it locally); a remote engine's processes cannot be seen from here.
    /// </summary>
    private static async Task AssertNoProcessLeftAsync(string commandLine)
    {
        if (BuildKitAddress.Parse("docker").SocketPath is not null)
        {
            Assert.True(await EventuallyAsync(() => Running(commandLine), false),
                $"'{commandLine.Replace('\0', ' ')}' still runs after the build was cancelled");
        }
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition, bool expected)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(15); condition() != expected; await Task.Delay(200))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
        }
        return true;
    }

    private static bool Running(string commandLine) => Directory.EnumerateDirectories("/proc").Any(process =>
    {
        try
        {
            return File.ReadAllText(Path.Combine(process, "cmdline")).TrimEnd('\0') == commandLine;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    });
}
