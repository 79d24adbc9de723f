using System.CommandLine;
using HybridBuild.Cli.Api;
using HybridBuild.Cli.Context;
using HybridBuild.Cli.Running;
using YamlDotNet.Serialization;

namespace HybridBuild.Cli.Commands;

/// <summary>
/// <c>hbs bake [-f FILE] [PATH]</c>: a whole multi-stage build spec from a file (the service's JSON spec, or the same in
/// YAML), its context uploaded from PATH when the spec names no git or inline source.
/// </summary>
internal static class BakeCommand
{
    private static readonly string[] DefaultFiles = ["hybridbuild.json", "hybridbuild.yaml", "hybridbuild.yml"];

    public static Command Create()
    {
        var path = new Argument<string?>("PATH") { Description = "The context folder to upload (default: . when the spec has no source)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string>("--file", "-f") { Description = $"The spec file, JSON or YAML (default: {string.Join(", ", DefaultFiles)})" };
        var outputs = new Option<string>("--output", "-o") { Description = "type=local,dest=DIR (or DIR): every artifacts stage's files, under DIR/<stage> when there are several" };
        var progress = Shared.Progress();
        var quiet = Shared.Quiet();
        var command = new Command("bake", "Run a multi-stage build spec file: hbs bake -f hybridbuild.json [PATH]") { path, file, outputs, progress, quiet };
        command.SetAction((parse, _) => Shared.RunAsync(parse, async client =>
        {
            var specFile = parse.GetValue(file) ?? DefaultFiles.FirstOrDefault(File.Exists)
                ?? throw new UsageException($"no spec file: give -f FILE or write one of {string.Join(", ", DefaultFiles)}");
            var spec = Read(specFile);
            var contextPath = parse.GetValue(path);
            if (contextPath is not null && spec.Source is not null)
                throw new UsageException($"{specFile} names a source: leave out PATH, or remove 'source' to upload PATH");
            string? directory = null;
            if (spec.Source is null)
            {
                directory = ContextSource.Resolve(contextPath ?? ".", null).Directory
                    ?? throw new UsageException("bake uploads a folder; put a git source into the spec file instead of a git URL");
            }
            Destination? destination = null;
            if (parse.GetValue(outputs) is { } output)
            {
                var flag = OutputFlag.Parse(output);
                if (flag.Type != OutputType.Artifacts) throw new UsageException("bake's --output takes type=local,dest=DIR; image outputs are set per stage in the spec");
                destination = new Destination(flag.Destination!, FolderPerStage: true);
            }
            using var interrupt = new Interrupt();
            return await new BuildRunner(client, Shared.ProgressOf(parse, progress), parse.GetValue(quiet)).RunAsync(spec, directory, destination, interrupt);
        }));
        return command;
    }

    /// <summary>The spec file read strictly, as the service reads it: an unknown property is an error naming it.</summary>
    private static BuildSpec Read(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"the spec file '{path}' does not exist");
        var text = File.ReadAllText(path);
        var strict = new JsonSerializerOptions(CliJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };
        try
        {
            var json = path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                ? JsonSerializer.Serialize(new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize<object>(text))
                : text;
            return JsonSerializer.Deserialize<BuildSpec>(json, strict) ?? throw new UsageException($"{path} holds no spec");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path} is not a build spec: {e.Message}");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new UsageException($"{path} is not valid YAML: {e.Message}");
        }
    }
}
