using System.CommandLine;
using HybridBuild.Cli.Context;
using HybridBuild.Cli.Running;

namespace HybridBuild.Cli.Commands;

/// <summary><c>hbs build [PATH]</c>: <c>docker buildx build</c>'s flags and meaning, the build run by the service.</summary>
internal static class BuildCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "The build context: a folder (uploaded, less what .dockerignore excludes) or a git URL (URL#ref)", DefaultValueFactory = _ => "." };
        var file = new Option<string>("--file", "-f") { Description = "The Dockerfile (default: PATH/Dockerfile); it must be inside the context" };
        var target = new Option<string>("--target") { Description = "The Dockerfile stage to build" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "A build argument, NAME=VALUE, or NAME to take its value from the environment" };
        var platforms = new Option<string[]>("--platform") { Description = "Target platforms, comma-separated (linux/amd64,wasi/wasm)" };
        var outputs = new Option<string[]>("--output", "-o") { Description = "type=local,dest=DIR (or just DIR); type=image,name=REF[,push=true]; type=registry,name=REF; type=oci|docker,dest=FILE" };
        var tags = new Option<string[]>("--tag", "-t") { Description = "An image name (an image output)" };
        var push = new Option<bool>("--push") { Description = "Push the image (type=registry)" };
        var load = new Option<bool>("--load") { Description = "Keep the image in the builder's engine (type=docker)" };
        var secrets = new Option<string[]>("--secret") { Description = "id=NAME: a build secret kept by the service that RUN --mount=type=secret,id=NAME may mount (an admin sets it: PUT /api/v1/secrets/NAME); src= and env= are refused, nothing is sent from this machine" };
        var noCache = new Option<bool>("--no-cache") { Description = "Build without the cache" };
        var noCacheFilter = new Option<string[]>("--no-cache-filter") { Description = "A Dockerfile stage to build without the cache" };
        var cacheFrom = new Option<string[]>("--cache-from") { Description = "A cache source (type=registry,ref=REF)" };
        var cacheTo = new Option<string[]>("--cache-to") { Description = "A cache destination (type=registry,ref=REF[,mode=max], type=inline)" };
        var provenance = new Option<string>("--provenance") { Description = "SLSA provenance: true, false, mode=min, mode=max" };
        var sbom = new Option<bool>("--sbom") { Description = "An SPDX SBOM of the result" };
        var progress = Shared.Progress();
        var quiet = Shared.Quiet();

        var command = new Command("build", "Build as docker buildx build does, on the service: hbs build [PATH] --target T --output type=local,dest=D")
        {
            path, file, target, buildArgs, platforms, outputs, tags, push, load, secrets, noCache, noCacheFilter, cacheFrom, cacheTo,
            provenance, sbom, progress, quiet,
        };
        command.SetAction((parse, _) => Shared.RunAsync(parse, async client =>
        {
            var flags = new BuildFlags
            {
                Target = parse.GetValue(target),
                BuildArgs = parse.GetValue(buildArgs) ?? [],
                Platforms = parse.GetValue(platforms) ?? [],
                Outputs = parse.GetValue(outputs) ?? [],
                Tags = parse.GetValue(tags) ?? [],
                Push = parse.GetValue(push),
                Load = parse.GetValue(load),
                Secrets = parse.GetValue(secrets) ?? [],
                NoCache = parse.GetValue(noCache),
                NoCacheFilter = parse.GetValue(noCacheFilter) ?? [],
                CacheFrom = parse.GetValue(cacheFrom) ?? [],
                CacheTo = parse.GetValue(cacheTo) ?? [],
                Provenance = parse.GetValue(provenance),
                Sbom = parse.GetValue(sbom),
            };
            var output = flags.Output();
            var stage = flags.ToStage(output, Environment.GetEnvironmentVariable);
            var source = ContextSource.Resolve(parse.GetValue(path)!, parse.GetValue(file));
            var spec = new BuildSpec { Source = source.Git, Dockerfile = source.Dockerfile, Stages = [stage] };
            if (output is null) Console.Error.WriteLine("WARNING: no output specified: the result stays in the builder's cache (use --output or --tag)");
            var destination = output?.Destination is { } dest ? new Destination(dest, FolderPerStage: false) : null;
            using var interrupt = new Interrupt();
            return await new BuildRunner(client, Shared.ProgressOf(parse, progress), parse.GetValue(quiet))
                .RunAsync(spec, source.Directory, destination, interrupt);
        }));
        return command;
    }
}
