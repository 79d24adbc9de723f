namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>Builds the console tests follow, and how long they wait for one.</summary>
public static class ConsoleScenarios
{
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    /// <summary><see cref="BuildTimeout"/> as Playwright's timeouts take it.</summary>
    public static float BuildWait => (float)BuildTimeout.TotalMilliseconds;

    /// <summary>A matrix stage (two combinations) and another stage feeding a third: a graph with a group, a join and files, quick to build.</summary>
    public static BuildSpec SmallGraph(string nonce) => new()
    {
        Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
        {
            ["Dockerfile"] = $"FROM busybox AS work\nARG part\nRUN mkdir /out && echo \"{nonce} $part\" > /out/part.txt\nFROM scratch AS files\nCOPY --from=work /out/ /\n",
        } } },
        Stages =
        [
            new StageSpec
            {
                Name = "first", Target = "files",
                Matrix = new MatrixSpec { Axes = new() { ["part"] = JsonSerializer.SerializeToElement<string[]>(["1a", "1b"]) } },
            },
            new StageSpec { Name = "second", Target = "files", BuildArgs = new() { ["part"] = "2" } },
            new StageSpec { Name = "join", Target = "files", BuildArgs = new() { ["part"] = "3" }, Needs = ["first", "second"] },
        ],
    };
}
