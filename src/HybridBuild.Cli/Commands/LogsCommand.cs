using System.CommandLine;
using HybridBuild.Cli.Running;

namespace HybridBuild.Cli.Commands;

/// <summary><c>hbs logs [-f] BUILD</c>: a build's log as text, or followed until the build ends.</summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var build = new Argument<string>("BUILD") { Description = "The build's id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow the log until the build ends" };
        var command = new Command("logs", "Show a build's log") { build, follow };
        command.SetAction((parse, _) => Shared.RunAsync(parse, async client =>
        {
            var id = Shared.ParseId(parse.GetValue(build));
            using var interrupt = new Interrupt();
            try
            {
                using var response = await client.GetTextLogAsync(id, parse.GetValue(follow), interrupt.Token);
                await using var body = await response.Content.ReadAsStreamAsync(interrupt.Token);
                await using var stdout = Console.OpenStandardOutput();
                await body.CopyToAsync(stdout, 4096, interrupt.Token); // small buffer: followed lines show as they come
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                return Interrupt.ExitCode;
            }
            return 0;
        }));
        return command;
    }
}
