using System.CommandLine;
using HybridBuild.Cli.Artifacts;

namespace HybridBuild.Cli.Commands;

/// <summary><c>hbs artifacts ls|get BUILD [STAGE]</c>: a build's files, listed or written into a folder with their modes.</summary>
internal static class ArtifactsCommand
{
    public static Command Create()
    {
        var command = new Command("artifacts", "List or download a build's artifacts");
        command.Subcommands.Add(Get());
        command.Subcommands.Add(List());
        return command;
    }

    private static Command Get()
    {
        var build = new Argument<string>("BUILD") { Description = "The build's id" };
        var stage = new Argument<string?>("STAGE") { Description = "One stage (default: every stage with artifacts, each into DIR/<stage>)", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string>("--output", "-o") { Description = "The folder to write into", DefaultValueFactory = _ => "." };
        var command = new Command("get", "Write a build's artifacts into a folder, keeping file modes") { build, stage, output };
        command.SetAction((parse, cancellationToken) => Shared.RunAsync(parse, async client =>
        {
            var id = Shared.ParseId(parse.GetValue(build));
            var folder = parse.GetValue(output)!;
            if (parse.GetValue(stage) is { } one)
            {
                Report(one, await ArtifactDownload.ExtractStageAsync(client, id, one, folder, cancellationToken), folder);
                return 0;
            }
            var stages = (await client.GetBuildAsync(id, cancellationToken)).Stages
                .Where(s => s.Status == StageStatus.Succeeded && s.Output.Type is OutputType.Artifacts or OutputType.Oci or OutputType.Docker).ToList();
            if (stages.Count == 0) throw new UsageException($"build {id} has no succeeded stage with artifacts");
            foreach (var s in stages)
            {
                var target = ArtifactDownload.StagePath(folder, s.Name);
                Report(s.Name, await ArtifactDownload.ExtractStageAsync(client, id, s.Name, target, cancellationToken), target);
            }
            return 0;
        }));
        return command;
    }

    private static Command List()
    {
        var build = new Argument<string>("BUILD") { Description = "The build's id" };
        var command = new Command("ls", "List a build's artifacts: stage, mode, size, SHA-256, path") { build };
        command.SetAction((parse, cancellationToken) => Shared.RunAsync(parse, async client =>
        {
            var view = await client.GetBuildAsync(Shared.ParseId(parse.GetValue(build)), cancellationToken);
            var rows = view.Stages.SelectMany(s => s.Artifacts ?? []).Select(a => new[] { a.Stage, a.Mode, a.Size.ToString(), a.Sha256[..12], a.Path }).ToList();
            Table.Write(Console.Out, ["STAGE", "MODE", "SIZE", "SHA256", "PATH"], rows);
            return 0;
        }));
        return command;
    }

    private static void Report(string stage, int files, string folder) => Console.Error.WriteLine($"stage {stage}: {files} file(s) written to {folder}");
}
