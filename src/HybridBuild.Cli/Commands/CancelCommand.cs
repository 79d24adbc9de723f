using System.CommandLine;

namespace HybridBuild.Cli.Commands;

/// <summary><c>hbs cancel BUILD</c>: stops a build's solves; stages not started are skipped.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var build = new Argument<string>("BUILD") { Description = "The build's id" };
        var command = new Command("cancel", "Cancel a queued or running build") { build };
        command.SetAction((parse, cancellationToken) => Shared.RunAsync(parse, async client =>
        {
            var answer = await client.CancelAsync(Shared.ParseId(parse.GetValue(build)), cancellationToken);
            Console.WriteLine($"{answer.Id} {answer.Status.ToString().ToLowerInvariant()} (cancel requested)");
            return 0;
        }));
        return command;
    }
}
