using HybridBuild.Core.Domain;

namespace HybridBuild.Core.Specs;

/// <summary>
/// Checks a submitted spec and turns it into stages. Every error names the field it is about,
/// in the JSON path form a client sees (<c>stages[1].needs[0]</c>).
/// </summary>
public static class SpecValidator
{
    public static IReadOnlyDictionary<string, string[]> Validate(BuildSpec spec, bool contextUploaded, out List<Stage> stages)
    {
        var errors = new ErrorBag();
        stages = [];

        CheckSource(spec, contextUploaded, errors);
        if (spec.Dockerfile is not null && !SpecRules.IsSafeRelativePath(spec.Dockerfile))
            errors.Add("dockerfile", "must be a relative path inside the context, without '..'");

        if (spec.Stages is null || spec.Stages.Count == 0)
        {
            errors.Add("stages", "at least one stage is required");
            return errors.ToDictionary();
        }
        if (spec.Stages.Count > SpecRules.MaxStages)
        {
            errors.Add("stages", $"at most {SpecRules.MaxStages} stages are allowed");
            return errors.ToDictionary();
        }

        var names = CheckNames(spec.Stages, errors);
        for (var i = 0; i < spec.Stages.Count; i++)
            stages.Add(ToStage(spec.Stages[i], i, names, spec.Stages, errors));

        if (errors.IsEmpty)
        {
            var cycle = PipelinePlanner.FindCycle(stages);
            if (cycle is not null)
                errors.Add("stages", $"the stages form a cycle: {string.Join(" -> ", cycle)}");
        }
        return errors.ToDictionary();
    }

    private static void CheckSource(BuildSpec spec, bool contextUploaded, ErrorBag errors)
    {
        var git = spec.Source?.Git;
        if (contextUploaded)
        {
            if (spec.Source is not null)
                errors.Add("source", "must be absent when a context archive is uploaded");
            return;
        }
        if (spec.Source?.Inline is { } inline)
        {
            if (git is not null) errors.Add("source", "give either git or inline, not both");
            CheckInline(inline, spec.Dockerfile ?? "Dockerfile", errors);
            return;
        }
        if (git is null)
        {
            errors.Add("source.git", "is required: give a git repository or inline files, or upload a context as multipart/form-data");
            return;
        }
        if (GitUrl.Check(git.Url) is { } urlError) errors.Add("source.git.url", urlError);
        if (git.Ref is not null && !SpecRules.GitRef().IsMatch(git.Ref))
            errors.Add("source.git.ref", "is not a valid branch, tag or commit");
    }

    private static void CheckInline(InlineSourceSpec inline, string dockerfile, ErrorBag errors)
    {
        var files = inline.Files ?? [];
        if (files.Count == 0) errors.Add("source.inline.files", "at least one file is required");
        else if (!files.ContainsKey(dockerfile))
            errors.Add("source.inline.files", $"there is no '{dockerfile}' among the inline files");
        foreach (var path in files.Where(f => f.Value is null).Select(f => f.Key))
            errors.Add("source.inline.files", $"'{path}' has no content (null)");
        foreach (var path in files.Keys.Where(p => !SpecRules.IsSafeRelativePath(p)))
            errors.Add("source.inline.files", $"'{path}' is not a relative path inside the context");
        foreach (var path in (inline.Executables ?? []).Where(p => p is null || !files.ContainsKey(p)))
            errors.Add("source.inline.executables", $"'{path}' is not one of the inline files");
    }

    private static HashSet<string> CheckNames(List<StageSpec> specs, ErrorBag errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            var name = specs[i]?.Name;
            if (string.IsNullOrEmpty(name))
                errors.Add($"stages[{i}].name", "is required");
            else if (!SpecRules.StageName().IsMatch(name))
                errors.Add($"stages[{i}].name", $"'{name}' is not a valid stage name (letters, digits, '_', '-', '.'; up to 63 characters)");
            else if (!names.Add(name))
                errors.Add($"stages[{i}].name", $"'{name}' is used by another stage");
        }
        return names;
    }

    private static Stage ToStage(StageSpec? spec, int index, HashSet<string> names, List<StageSpec> all, ErrorBag errors)
    {
        var at = $"stages[{index}]";
        spec ??= new StageSpec();
        if (spec.Target is not null && !SpecRules.Target().IsMatch(spec.Target))
            errors.Add($"{at}.target", $"'{spec.Target}' is not a valid Dockerfile stage name");

        foreach (var (key, value) in spec.BuildArgs ?? [])
        {
            if (!SpecRules.BuildArgName().IsMatch(key))
                errors.Add($"{at}.buildArgs", $"'{key}' is not a valid build argument name");
            else if (value is null || value.Length > SpecRules.MaxBuildArgLength || value.Contains('\0'))
                errors.Add($"{at}.buildArgs.{key}", $"must be a string of at most {SpecRules.MaxBuildArgLength} characters without NUL");
        }
        if (spec.BuildArgs?.Count > SpecRules.MaxBuildArgs)
            errors.Add($"{at}.buildArgs", $"at most {SpecRules.MaxBuildArgs} build arguments are allowed");

        var platforms = spec.Platforms ?? [];
        if (platforms.Count > SpecRules.MaxPlatforms)
        {
            errors.Add($"{at}.platforms", $"at most {SpecRules.MaxPlatforms} platforms are allowed");
            platforms = [];
        }
        for (var p = 0; p < platforms.Count; p++)
        {
            if (platforms[p] is null || platforms[p].Length > 64 || !SpecRules.Platform().IsMatch(platforms[p]))
                errors.Add($"{at}.platforms[{p}]", $"'{platforms[p]}' is not a platform (os/arch[/variant], e.g. linux/amd64 or wasi/wasm)");
            else if (platforms.IndexOf(platforms[p]) != p)
                errors.Add($"{at}.platforms[{p}]", $"'{platforms[p]}' is listed twice");
        }

        var needs = spec.Needs ?? [];
        if (needs.Count > SpecRules.MaxStages || spec.Inputs?.Count > SpecRules.MaxStages)
        {
            errors.Add($"{at}", $"a stage may name at most {SpecRules.MaxStages} needs and inputs each");
            return new Stage { Name = spec.Name ?? "" };
        }
        for (var n = 0; n < needs.Count; n++)
            CheckReference($"{at}.needs[{n}]", needs[n], spec.Name, names, errors);

        var inputs = spec.Inputs ?? [];
        for (var n = 0; n < inputs.Count; n++)
        {
            var input = inputs[n] ?? new StageInputSpec();
            if (CheckReference($"{at}.inputs[{n}].stage", input.Stage, spec.Name, names, errors))
            {
                var source = all.First(s => s?.Name == input.Stage);
                if ((source.Output?.Type ?? OutputType.Artifacts) != OutputType.Artifacts)
                    errors.Add($"{at}.inputs[{n}].stage", $"stage '{input.Stage}' does not export artifacts (its output type is {source.Output!.Type.ToString().ToLowerInvariant()})");
            }
            if (!SpecRules.IsSafeRelativePath(input.Path))
                errors.Add($"{at}.inputs[{n}].path", "must be a relative path inside the context, without '..'");
        }

        var output = spec.Output ?? new OutputSpec();
        CheckOutput($"{at}.output", output, errors);

        var secrets = spec.Secrets ?? [];
        for (var n = 0; n < secrets.Count; n++)
            if (!SpecRules.IsSecretName(secrets[n]))
                errors.Add($"{at}.secrets[{n}]", "must be a secret name: 1 to 64 letters, digits, '.', '_' or '-'");

        return new Stage
        {
            Ordinal = index,
            Name = spec.Name ?? "",
            Target = spec.Target,
            BuildArgs = new Dictionary<string, string>(spec.BuildArgs ?? [], StringComparer.Ordinal),
            Platforms = [.. platforms],
            Needs = [.. needs.Distinct()],
            Inputs = [.. inputs.Select(i => new StageInput(i?.Stage ?? "", (i?.Path ?? "").Trim('/')))],
            Output = new StageOutput { Type = output.Type, Tags = [.. output.Tags ?? []], Push = output.Push },
            Secrets = [.. secrets.Distinct(StringComparer.Ordinal)],
        };
    }

    private static bool CheckReference(string field, string? name, string? self, HashSet<string> names, ErrorBag errors)
    {
        if (string.IsNullOrEmpty(name)) { errors.Add(field, "must name a stage"); return false; }
        if (name == self) { errors.Add(field, $"stage '{name}' cannot depend on itself"); return false; }
        if (!names.Contains(name)) { errors.Add(field, $"'{name}' is not a stage of this build"); return false; }
        return true;
    }

    private static void CheckOutput(string at, OutputSpec output, ErrorBag errors)
    {
        var tags = output.Tags ?? [];
        if (tags.Count > SpecRules.MaxTags)
        {
            errors.Add($"{at}.tags", $"at most {SpecRules.MaxTags} tags are allowed");
            return;
        }
        if (output.Type != OutputType.Image)
        {
            if (tags.Count > 0) errors.Add($"{at}.tags", "only image outputs take tags");
            if (output.Push) errors.Add($"{at}.push", "only image outputs can be pushed");
            return;
        }
        if (output.Push && tags.Count == 0)
            errors.Add($"{at}.tags", "an image that is pushed needs at least one tag");
        for (var t = 0; t < tags.Count; t++)
            if (tags[t] is null || tags[t].Length > 255 || !SpecRules.ImageReference().IsMatch(tags[t]))
                errors.Add($"{at}.tags[{t}]", $"'{tags[t]}' is not a valid image reference (e.g. registry.example.com:5000/team/app:1.0)");
    }

    private sealed class ErrorBag
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
        public bool IsEmpty => _errors.Count == 0;
        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
            list.Add(message);
        }
        public IReadOnlyDictionary<string, string[]> ToDictionary() =>
            _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }
}
