namespace HybridBuild.Cli.Commands;

/// <summary>
/// One <c>--output</c> in buildx's CSV form: <c>type=local,dest=DIR</c> (or just <c>DIR</c>), <c>type=image,name=…[,push=true]</c>,
/// <c>type=registry,name=…</c>, <c>type=oci|docker,dest=FILE[,name=…]</c>, <c>type=cacheonly</c>.
/// </summary>
internal sealed record OutputFlag(OutputType Type, string? Destination, IReadOnlyList<string> Names, bool Push)
{
    public static OutputFlag Parse(string text)
    {
        if (!text.Contains('=')) return new OutputFlag(OutputType.Artifacts, text, [], false); // "-o DIR": buildx's shorthand
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--output '{text}': '{part}' is not key=value");
            fields[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        var type = fields.GetValueOrDefault("type") ?? "local";
        var dest = fields.GetValueOrDefault("dest");
        List<string> names = fields.TryGetValue("name", out var n) ? [.. n.Split(';', StringSplitOptions.RemoveEmptyEntries)] : [];
        var push = fields.TryGetValue("push", out var p) && bool.TryParse(p, out var yes) && yes;
        return type.ToLowerInvariant() switch
        {
            "local" => new OutputFlag(OutputType.Artifacts, dest ?? throw new UsageException($"--output '{text}': type=local needs dest=DIR"), [], false),
            "image" => new OutputFlag(OutputType.Image, null, names, push),
            "registry" => new OutputFlag(OutputType.Image, null, names, true),
            "oci" or "docker" when dest is not null && dest != "-" =>
                new OutputFlag(type == "oci" ? OutputType.Oci : OutputType.Docker, dest, names, false),
            "docker" when dest is null => new OutputFlag(OutputType.Image, null, names, false), // buildx: loaded into the engine
            "oci" or "docker" => throw new UsageException($"--output '{text}': give dest=FILE (a tarball to stdout is not supported)"),
            "cacheonly" => new OutputFlag(OutputType.None, null, [], false),
            _ => throw new UsageException($"--output type '{type}' is not supported: use local, image, registry, oci, docker or cacheonly"),
        };
    }
}
