using System.CommandLine;
using HybridBuild.Cli.Commands;

// hbs: the command line of HybridBuildService. Exit codes: 0 success, 1 a failed or cancelled build or a service error,
// 2 a usage error, 130 interrupted (the build is cancelled on the service first).
var root = new RootCommand("hbs: docker buildx build, run as staged builds on a HybridBuildService (HBS_URL, HBS_TOKEN)")
{
    BuildCommand.Create(), BakeCommand.Create(), ListCommand.Create(), LogsCommand.Create(), CancelCommand.Create(),
    ArtifactsCommand.Create(), PublishCommand.Create(),
};
root.Options.Add(Shared.Url);
root.Options.Add(Shared.Token);

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine($"see '{string.Join(' ', parse.CommandResult.Command.Name == root.Name ? ["hbs"] : ["hbs", parse.CommandResult.Command.Name])} --help'");
    return 2;
}
// Ctrl-C is the commands' own (a build is cancelled on the service before the command exits)
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
