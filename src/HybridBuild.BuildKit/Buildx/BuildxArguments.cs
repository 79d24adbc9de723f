using HybridBuild.Core.Domain;

namespace HybridBuild.BuildKit.Buildx;

/// <summary>The <c>docker buildx build</c> command line for one stage.</summary>
internal static class BuildxArguments
{
    public static List<string> For(StageBuildRequest request, string? builder, string metadataFile, bool provenance, AttestationOptions attestations)
    {
        var args = new List<string> { "buildx", "build" };
        if (!string.IsNullOrEmpty(builder)) args.AddRange(["--builder", builder]);
        args.AddRange(["--progress=rawjson", "--metadata-file", metadataFile]);
        args.AddRange(["--file", Path.Combine(request.ContextDirectory, request.Dockerfile)]);
        if (!string.IsNullOrEmpty(request.Target)) args.AddRange(["--target", request.Target]);
        foreach (var (name, value) in request.BuildArgs.OrderBy(a => a.Key, StringComparer.Ordinal))
            args.AddRange(["--build-arg", $"{name}={value}"]);
        if (request.Platforms.Count > 0) args.AddRange(["--platform", string.Join(',', request.Platforms)]);
        // the stage's own attestations (validated modes, a validated image reference) win over the builder's default
        var attest = StageAttestationRequests.For(request.Output.Attest, attestations);
        args.Add($"--provenance={attest.GetValueOrDefault("provenance") ?? (provenance ? "true" : "false")}");
        if (attest.TryGetValue("sbom", out var sbom)) args.Add($"--sbom={sbom}");
        if (request.Cache.NoCache) args.Add("--no-cache");
        else if (request.Cache.NoCacheFilter.Count > 0) args.Add($"--no-cache-filter={string.Join(',', request.Cache.NoCacheFilter)}");
        // validated entries: known keys, image references and fixed values, no quotes or commas inside a value
        foreach (var entry in request.Cache.From) args.AddRange(["--cache-from", entry.ToString()]);
        foreach (var entry in request.Cache.To) args.AddRange(["--cache-to", entry.ToString()]);
        if (request.Output.Type == OutputType.Image)
            foreach (var (name, value) in request.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
                args.AddRange(["--label", $"{name}={value}"]);
        // secrets travel in the CLI's environment, never on its command line or in a file
        foreach (var (id, variable) in SecretVariables(request))
            args.AddRange(["--secret", $"id={id},env={variable}"]);
        args.AddRange(["--output", Output(request)]);
        args.Add(request.ContextDirectory);
        return args;
    }

    /// <summary>The environment variable that carries each secret to the CLI.</summary>
    public static IEnumerable<(string Id, string Variable)> SecretVariables(StageBuildRequest request) =>
        request.Secrets.Keys.Order(StringComparer.Ordinal).Select((id, i) => (id, $"HYBRIDBUILD_SECRET_{i}"));

    private static string Output(StageBuildRequest request) => request.Output.Type switch
    {
        OutputType.Artifacts => $"type=local,dest={request.OutputDirectory ?? throw new ArgumentException("An artifacts output needs an output directory.")}",
        // names are validated references (no quotes or commas), so CSV quoting of the list is safe
        OutputType.Image => request.Output.Tags.Count == 0
            ? "type=image"
            : $"type=image,\"name={string.Join(',', request.Output.Tags)}\",push={(request.Output.Push ? "true" : "false")}",
        OutputType.Oci or OutputType.Docker => $"type={request.Output.Type.ToString().ToLowerInvariant()},dest={request.ImageTarballPath}"
            + (request.Output.Tags.Count == 0 ? "" : $",\"name={string.Join(',', request.Output.Tags)}\""),
        _ => "type=cacheonly",
    };
}
