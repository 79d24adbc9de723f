namespace HybridBuild.Cli.Commands;

/// <summary>
/// <c>docker buildx build</c>'s flags, made into one stage of a build spec. Build secrets live in the service (an admin sets
/// them with <c>PUT /api/v1/secrets/{id}</c>); <c>--secret id=X</c> names one for the stage to mount.
/// </summary>
internal sealed record BuildFlags
{
    public string? Target { get; init; }
    public IReadOnlyList<string> BuildArgs { get; init; } = [];
    public IReadOnlyList<string> Platforms { get; init; } = [];
    public IReadOnlyList<string> Outputs { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool Push { get; init; }
    public bool Load { get; init; }
    public IReadOnlyList<string> Secrets { get; init; } = [];
    public bool NoCache { get; init; }
    public IReadOnlyList<string> NoCacheFilter { get; init; } = [];
    public IReadOnlyList<string> CacheFrom { get; init; } = [];
    public IReadOnlyList<string> CacheTo { get; init; } = [];
    public string? Provenance { get; init; }
    public bool Sbom { get; init; }

    public OutputFlag? Output()
    {
        if (Outputs.Count > 1) throw new UsageException("only one --output is supported per build");
        var output = Outputs.Count == 1 ? OutputFlag.Parse(Outputs[0]) : null;
        if (output is not null && (Push || Load) && output.Type != OutputType.Image)
            throw new UsageException("--push and --load cannot be combined with a --output that is not an image");
        if (output is null && (Tags.Count > 0 || Push || Load)) output = new OutputFlag(OutputType.Image, null, [], Push);
        if (output is { Type: OutputType.Image } image)
        {
            output = image with { Names = [.. image.Names, .. Tags], Push = image.Push || Push };
            if (output.Names.Count == 0) throw new UsageException("an image output needs a name: give --tag NAME (or name= in --output)");
        }
        else if (output is not null && Tags.Count > 0)
        {
            output = output with { Names = [.. output.Names, .. Tags] };
        }
        return output;
    }

    /// <summary>The stage these flags describe; <paramref name="environment"/> answers <c>--build-arg NAME</c> without a value, as buildx does.</summary>
    public StageSpec ToStage(OutputFlag? output, Func<string, string?> environment) => new()
    {
        Name = Target ?? "build",
        Target = Target,
        BuildArgs = ParseBuildArgs(environment),
        Platforms = Platforms.Count == 0 ? null : [.. Platforms.SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
        Secrets = Secrets.Count == 0 ? null : [.. Secrets.Select(ParseSecret)],
        Output = output is null
            ? new OutputSpec { Type = OutputType.None }
            : new OutputSpec { Type = output.Type, Tags = output.Names.Count == 0 ? null : [.. output.Names], Push = output.Push },
        NoCache = NoCache,
        NoCacheFilter = NoCacheFilter.Count == 0 ? null : [.. NoCacheFilter],
        Cache = CacheFrom.Count + CacheTo.Count == 0 ? null
            : new CacheSpec { From = CacheFrom.Count == 0 ? null : [.. CacheFrom], To = CacheTo.Count == 0 ? null : [.. CacheTo] },
        Attest = Provenance is null && !Sbom ? null : new AttestSpec { Provenance = ParseProvenance(Provenance), Sbom = Sbom },
    };

    private Dictionary<string, string>? ParseBuildArgs(Func<string, string?> environment)
    {
        if (BuildArgs.Count == 0) return null;
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in BuildArgs)
        {
            var eq = arg.IndexOf('=');
            if (eq == 0) throw new UsageException($"--build-arg '{arg}' has no name");
            if (eq > 0) args[arg[..eq]] = arg[(eq + 1)..];
            else if (environment(arg) is { } value) args[arg] = value; // unset in the environment: left out, like buildx
        }
        return args.Count == 0 ? null : args;
    }

    private static string ParseSecret(string text)
    {
        string? id = null;
        foreach (var part in text.Split(','))
        {
            var eq = part.IndexOf('=');
            var (key, value) = eq < 0 ? ("id", part) : (part[..eq], part[(eq + 1)..]);
            switch (key)
            {
                case "id": id = value; break;
                case "type" when value is "file" or "env": break;
                case "src" or "source" or "env" or "type":
                    throw new UsageException(
                        $"--secret '{text}': build secrets are kept by the service, not sent from this machine; " +
                        $"have an admin set it (PUT /api/v1/secrets/{{id}}) and pass --secret id={id ?? "NAME"}");
                default: throw new UsageException($"--secret '{text}': unknown field '{key}'");
            }
        }
        return string.IsNullOrEmpty(id) ? throw new UsageException($"--secret '{text}' has no id") : id;
    }

    private static string? ParseProvenance(string? value) => value?.ToLowerInvariant() switch
    {
        null or "false" or "0" => null,
        "true" or "1" or "mode=min" or "min" => "min",
        "mode=max" or "max" => "max",
        _ => throw new UsageException($"--provenance '{value}' is not one of: true, false, mode=min, mode=max"),
    };
}
