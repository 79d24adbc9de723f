namespace HybridBuild.Core.Specs;

public static partial class SpecValidator
{
    private const int MaxCacheEntries = 8, CacheEntryLength = 1024;

    // what each direction of each type takes, as buildx and BuildKit name it; anything else is refused, never passed on
    private static readonly HashSet<string> RegistryImportKeys = new(StringComparer.Ordinal) { "ref" };
    private static readonly HashSet<string> RegistryExportKeys = new(StringComparer.Ordinal)
        { "ref", "mode", "ignore-error", "oci-mediatypes", "image-manifest", "compression", "compression-level", "force-compression" };
    private static readonly Dictionary<string, string[]> ExportValues = new(StringComparer.Ordinal)
    {
        ["mode"] = ["min", "max"],
        ["ignore-error"] = ["true", "false"],
        ["oci-mediatypes"] = ["true", "false"],
        ["image-manifest"] = ["true", "false"],
        ["force-compression"] = ["true", "false"],
        ["compression"] = ["gzip", "zstd", "estargz", "uncompressed"],
        ["compression-level"] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    };

    private static StageCache CheckCache(string at, StageSpec spec, bool buildNoCache, StageOutput output, ErrorBag errors)
    {
        var from = CheckCacheEntries($"{at}.cache.from", spec.Cache?.From, export: false, output, errors);
        var to = CheckCacheEntries($"{at}.cache.to", spec.Cache?.To, export: true, output, errors);
        if (spec.Matrix is not null && to.Any(e => e.Reference is not null))
            errors.Add($"{at}.cache.to", "a matrix stage cannot export its cache to a registry: every combination would write the same reference");

        var filter = spec.NoCacheFilter ?? [];
        if (filter.Count > SpecRules.MaxStages) errors.Add($"{at}.noCacheFilter", $"at most {SpecRules.MaxStages} Dockerfile stages may be named");
        else
            for (var n = 0; n < filter.Count; n++)
                if (!errors.IsNull($"{at}.noCacheFilter[{n}]", filter[n], "a Dockerfile stage name")
                    && errors.CheckText($"{at}.noCacheFilter[{n}]", filter[n], TextKind.Name, TargetColumn)
                    && !SpecRules.Target().IsMatch(filter[n]))
                    errors.Add($"{at}.noCacheFilter[{n}]", $"'{filter[n]}' is not a valid Dockerfile stage name");
        if (filter.Count > 0 && (spec.NoCache || buildNoCache))
            errors.Add($"{at}.noCacheFilter", "is needless with noCache, which builds every Dockerfile stage without cache");

        return new StageCache { From = from, To = to, NoCache = spec.NoCache || buildNoCache, NoCacheFilter = [.. filter.Distinct(StringComparer.Ordinal)] };
    }

    private static List<CacheEntry> CheckCacheEntries(string at, List<string>? texts, bool export, StageOutput output, ErrorBag errors)
    {
        var entries = new List<CacheEntry>();
        if (texts is null) return entries;
        if (texts.Count > MaxCacheEntries)
        {
            errors.Add(at, $"at most {MaxCacheEntries} entries are allowed");
            return entries;
        }
        for (var n = 0; n < texts.Count; n++)
        {
            var field = $"{at}[{n}]";
            if (errors.IsNull(field, texts[n], "a cache entry such as type=registry,ref=registry.example.com/team/app:cache")
                || !errors.CheckText(field, texts[n], TextKind.Name, CacheEntryLength))
                continue;
            if (ParseCacheEntry(field, texts[n], export, output, errors) is { } entry) entries.Add(entry);
        }
        return entries;
    }

    /// <summary>buildx's form: comma-separated <c>key=value</c> with a <c>type</c>; a bare image reference is a registry entry.</summary>
    private static CacheEntry? ParseCacheEntry(string field, string text, bool export, StageOutput output, ErrorBag errors)
    {
        if (!text.Contains('=')) text = $"type=registry,ref={text}";
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(','))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                errors.Add(field, $"'{part}' is not key=value (write e.g. type=registry,ref=registry.example.com/team/app:cache)");
                return null;
            }
            if (!attributes.TryAdd(part[..equals].Trim(), part[(equals + 1)..].Trim()))
            {
                errors.Add(field, $"'{part[..equals]}' is given twice");
                return null;
            }
        }
        if (!attributes.Remove("type", out var type)) type = "registry"; // as buildx: a type is optional, registry by default
        switch (type)
        {
            case "registry":
                var allowed = export ? RegistryExportKeys : RegistryImportKeys;
                if (attributes.Keys.FirstOrDefault(k => !allowed.Contains(k)) is { } unknown)
                {
                    errors.Add(field, $"'{unknown}' is not an attribute a registry cache {(export ? "export" : "import")} takes here ({string.Join(", ", allowed.Order())})");
                    return null;
                }
                if (!attributes.TryGetValue("ref", out var reference) || !SpecRules.ImageReference().IsMatch(reference) || reference.Length > TagLength)
                {
                    errors.Add(field, "a registry cache needs ref= a valid image reference (e.g. registry.example.com/team/app:cache)");
                    return null;
                }
                foreach (var (key, value) in attributes)
                    if (ExportValues.TryGetValue(key, out var values) && !values.Contains(value))
                    {
                        errors.Add(field, $"{key} must be one of {string.Join(", ", values)}, not '{value}'");
                        return null;
                    }
                return new CacheEntry(type, attributes);
            case "inline" when !export:
                errors.Add(field, "an inline cache is read from the image that carries it: write type=registry,ref=<that image>");
                return null;
            case "inline" when output.Type != OutputType.Image:
                errors.Add(field, "an inline cache is embedded in an image: it needs an image output");
                return null;
            case "inline" when attributes.Count > 0:
                errors.Add(field, "an inline cache takes no attributes");
                return null;
            case "inline":
                return new CacheEntry(type, attributes);
            default:
                errors.Add(field, $"'{type}' is not a cache type this service takes: registry or inline (the others read or write the daemon's or the service's disk, or a cloud account the service does not hold)");
                return null;
        }
    }
}
