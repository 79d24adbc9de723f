using System.CommandLine;
using HybridBuild.Cli.Api;

namespace HybridBuild.Cli.Commands;

/// <summary>
/// <c>hbs publish BUILD --target NAME</c>: sends a succeeded build's artifacts to a publish target configured on the
/// service (Artifactory, an OCI registry); the credentials stay there.
/// </summary>
internal static class PublishCommand
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var build = new Argument<string>("BUILD") { Description = "The build's id" };
        var target = new Option<string>("--target") { Description = "The publish target's name (Publishing:Targets on the service)", Required = true };
        var stages = new Option<string[]>("--stage") { Description = "A stage to publish (default: all)" };
        var path = new Option<string>("--path") { Description = "The destination template: {buildId}, {stage}, {platform}, {path}, {file}, {commit}, {ref}" };
        var properties = new Option<string[]>("--property") { Description = "KEY=VALUE set on each file (templates allowed)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show where each file would go; publish nothing" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the publication has finished; exit 1 if it failed" };
        var command = new Command("publish", "Publish a build's artifacts to a target the service knows") { build, target, stages, path, properties, dryRun, wait };
        command.SetAction((parse, cancellationToken) => Shared.RunAsync(parse, async client =>
        {
            var props = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in parse.GetValue(properties) ?? [])
            {
                var eq = p.IndexOf('=');
                if (eq <= 0) throw new UsageException($"--property '{p}' is not KEY=VALUE");
                props[p[..eq]] = p[(eq + 1)..];
            }
            var body = new PublishRequestBody(parse.GetValue(target)!, parse.GetValue(stages) is { Length: > 0 } s ? [.. s] : null,
                parse.GetValue(path), props.Count == 0 ? null : props, parse.GetValue(dryRun));
            var publication = await client.PublishAsync(Shared.ParseId(parse.GetValue(build)), body, cancellationToken);
            while (parse.GetValue(wait) && !publication.DryRun && publication.Status is PublicationStatus.Queued or PublicationStatus.Running)
            {
                await Task.Delay(Poll, cancellationToken);
                publication = await client.GetPublicationAsync(publication.Id, cancellationToken);
            }
            Console.WriteLine($"publication {publication.Id} {publication.Status.ToString().ToLowerInvariant()}{(publication.DryRun ? " (dry run)" : "")}");
            foreach (var file in publication.Files) Console.WriteLine($"  {file.Stage}/{file.Path} -> {file.Destination}");
            if (publication.Error is not null) Console.Error.WriteLine($"error: {publication.Error}");
            return publication.Status == PublicationStatus.Failed ? 1 : 0;
        }));
        return command;
    }
}
