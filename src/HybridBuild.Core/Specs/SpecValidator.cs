namespace HybridBuild.Core.Specs;

/// <summary>
/// Checks a submitted spec and turns it into stages. Every error names the field it is about,
/// in the JSON path form a client sees (<c>stages[1].needs[0]</c>). Every string is refused with a control
/// character (<see cref="TextRules"/>) and bounded by the column it is stored in (HybridBuild.Data's
/// BuildDbContext), so a bad value is a 400 here rather than a 500 at insert; a null in a list is an error at its index.
/// </summary>
public static partial class SpecValidator
{
    // columns: builds.dockerfile, stages.name, stages.target; secret names are build_secrets.name
    private const int DockerfileColumn = 1024, StageNameColumn = 63, TargetColumn = 128, SecretNameColumn = 64;
    private const int PlatformLength = 64, TagLength = 255, InputPathLength = 1024, DurationLength = 32;

    /// <summary>
    /// The errors by field (none: <paramref name="stages"/> are the stages to store, matrix stages expanded into their
    /// combinations); <paramref name="limits"/> are the configured ones, the defaults when absent.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]> Validate(BuildSpec spec, bool contextUploaded, out List<Stage> stages, SpecLimits? limits = null)
    {
        limits ??= new SpecLimits();
        var errors = new ErrorBag();
        stages = [];

        CheckSource(spec, contextUploaded, errors);
        if (spec.Dockerfile is not null && errors.CheckText("dockerfile", spec.Dockerfile, TextKind.Name, DockerfileColumn)
            && !SpecRules.IsSafeRelativePath(spec.Dockerfile))
            errors.Add("dockerfile", "must be a relative path inside the context, without '..'");
        CheckPublish(spec.Publish, errors);

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
        var matrices = new List<Combination>?[spec.Stages.Count];
        for (var i = 0; i < spec.Stages.Count; i++)
            if (spec.Stages[i] is { Matrix: not null } matrixStage && names.Contains(matrixStage.Name!))
                matrices[i] = ExpandMatrix(matrixStage, $"stages[{i}]", limits, errors);
        var references = References(spec.Stages, names, matrices, errors);
        for (var i = 0; i < spec.Stages.Count; i++)
            if (spec.Stages[i] is { } stage) stages.AddRange(Expand(ToStage(stage, i, names, references, spec.Stages, spec.NoCache, errors), matrices[i]));

        if (errors.IsEmpty)
        {
            var cycle = PipelinePlanner.FindCycle(stages);
            if (cycle is not null)
                errors.Add("stages", $"the stages form a cycle: {string.Join(" -> ", cycle)}");
        }
        return errors.ToDictionary();
    }

    private static HashSet<string> CheckNames(List<StageSpec> specs, ErrorBag errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            if (errors.IsNull($"stages[{i}]", specs[i], "a stage")) continue;
            var name = specs[i].Name;
            if (string.IsNullOrEmpty(name))
                errors.Add($"stages[{i}].name", "is required");
            else if (!errors.CheckText($"stages[{i}].name", name, TextKind.Name, StageNameColumn)) { }
            else if (!SpecRules.StageName().IsMatch(name))
                errors.Add($"stages[{i}].name", $"'{name}' is not a valid stage name (letters, digits, '_', '-', '.'; up to 63 characters)");
            else if (!names.Add(name))
                errors.Add($"stages[{i}].name", $"'{name}' is used by another stage");
        }
        return names;
    }

    private static Stage ToStage(StageSpec spec, int index, HashSet<string> names, Dictionary<string, Reference> references, List<StageSpec> all,
        bool buildNoCache, ErrorBag errors)
    {
        var at = $"stages[{index}]";
        if (spec.Target is not null && errors.CheckText($"{at}.target", spec.Target, TextKind.Name, TargetColumn)
            && !SpecRules.Target().IsMatch(spec.Target))
            errors.Add($"{at}.target", $"'{spec.Target}' is not a valid Dockerfile stage name");

        CheckBuildArgs(at, spec.BuildArgs, errors);
        var platforms = CheckPlatforms(at, spec.Platforms ?? [], errors);

        var needs = spec.Needs ?? [];
        if (needs.Count > SpecRules.MaxStages || spec.Inputs?.Count > SpecRules.MaxStages)
        {
            errors.Add($"{at}", $"a stage may name at most {SpecRules.MaxStages} needs and inputs each");
            return new Stage { Name = spec.Name ?? "" };
        }
        var needed = new List<string>();
        for (var n = 0; n < needs.Count; n++)
            if (!errors.IsNull($"{at}.needs[{n}]", needs[n], "a stage name")
                && CheckReference($"{at}.needs[{n}]", needs[n], index, spec.Name, references, errors) is { } reference)
                needed.AddRange(reference.Stages);

        var inputs = spec.Inputs ?? [];
        var placed = new List<StageInput>();
        for (var n = 0; n < inputs.Count; n++)
            if (!errors.IsNull($"{at}.inputs[{n}]", inputs[n], "an input (stage and path)")
                && CheckInput($"{at}.inputs[{n}]", inputs[n], index, spec.Name, references, all, errors) is { } reference)
            {
                // a whole matrix: each combination's artifacts in a folder of its own
                var path = (inputs[n].Path ?? "").Trim('/');
                placed.AddRange(reference.Kind == ReferenceKind.Matrix
                    ? reference.Stages.Select(s => new StageInput(s, $"{path}/{s}"))
                    : [new StageInput(inputs[n].Stage!, path)]);
            }

        var output = spec.Output ?? new OutputSpec();
        CheckOutput($"{at}.output", output, errors);
        CheckDockerTarball(at, spec, platforms, errors);
        var stageOutput = new StageOutput
        {
            Type = output.Type, Tags = [.. output.Tags ?? []], Push = output.Push, Attest = CheckAttest($"{at}.attest", spec, errors),
        };
        var cache = CheckCache(at, spec, buildNoCache, stageOutput, errors);

        var secrets = spec.Secrets ?? [];
        for (var n = 0; n < secrets.Count; n++)
            if (!errors.IsNull($"{at}.secrets[{n}]", secrets[n], "a secret name")
                && errors.CheckText($"{at}.secrets[{n}]", secrets[n], TextKind.Name, SecretNameColumn)
                && !SpecRules.IsSecretName(secrets[n]))
                errors.Add($"{at}.secrets[{n}]", "must be a secret name: 1 to 64 letters, digits, '.', '_' or '-'");

        var timeout = CheckDuration($"{at}.timeout", spec.Timeout, SpecRules.MaxStageTimeout, errors);
        var queueTtl = CheckDuration($"{at}.queueTtl", spec.QueueTtl, SpecRules.MaxQueueTtl, errors);
        var run = CheckRun(at, spec, names, all, errors);

        return new Stage
        {
            Ordinal = index,
            Name = spec.Name ?? "",
            Target = spec.Target,
            BuildArgs = new Dictionary<string, string>(spec.BuildArgs ?? [], StringComparer.Ordinal),
            Platforms = [.. platforms],
            // a run of a stage's image waits for that stage
            Needs = [.. needed.Append(run?.ImageStage).OfType<string>().Distinct()],
            Inputs = placed,
            Output = run is not null ? new StageOutput { Type = OutputType.None } : stageOutput,
            Secrets = [.. secrets.Distinct(StringComparer.Ordinal)],
            Timeout = timeout,
            QueueTtl = queueTtl,
            Cache = cache,
            Run = run,
        };
    }

    /// <summary>A positive duration of at most <paramref name="max"/>, or null (absent, or refused with an error).</summary>
    private static TimeSpan? CheckDuration(string field, string? text, TimeSpan max, ErrorBag errors)
    {
        if (text is null || !errors.CheckText(field, text, TextKind.Name, DurationLength)) return null;
        var value = SpecRules.ParseDuration(text);
        if (value is null)
            errors.Add(field, $"'{text}' is not a duration: write hh:mm:ss, e.g. 00:10:00");
        else if (value <= TimeSpan.Zero)
            errors.Add(field, $"must be longer than 00:00:00, not '{text}'");
        else if (value > max)
            errors.Add(field, $"must be at most {SpecRules.FormatDuration(max)}, not '{text}'");
        else
            return value;
        return null;
    }

    private static void CheckBuildArgs(string at, Dictionary<string, string>? buildArgs, ErrorBag errors)
    {
        foreach (var (key, value) in buildArgs ?? [])
        {
            if (!errors.CheckText($"{at}.buildArgs", key, TextKind.Name, SpecRules.MaxBuildArgNameLength, quote: true)) { }
            else if (!SpecRules.BuildArgName().IsMatch(key))
                errors.Add($"{at}.buildArgs", $"'{key}' is not a valid build argument name");
            else if (value is null || value.Length > SpecRules.MaxBuildArgLength || value.Contains('\0'))
                errors.Add($"{at}.buildArgs.{key}", $"must be a string of at most {SpecRules.MaxBuildArgLength} characters without NUL");
            else
                errors.CheckText($"{at}.buildArgs.{key}", value, TextKind.Text, SpecRules.MaxBuildArgLength); // a value may span lines
        }
        if (buildArgs?.Count > SpecRules.MaxBuildArgs)
            errors.Add($"{at}.buildArgs", $"at most {SpecRules.MaxBuildArgs} build arguments are allowed");
    }

    private static List<string> CheckPlatforms(string at, List<string> platforms, ErrorBag errors)
    {
        if (platforms.Count > SpecRules.MaxPlatforms)
        {
            errors.Add($"{at}.platforms", $"at most {SpecRules.MaxPlatforms} platforms are allowed");
            return [];
        }
        for (var p = 0; p < platforms.Count; p++)
        {
            var field = $"{at}.platforms[{p}]";
            if (errors.IsNull(field, platforms[p], "a platform (os/arch[/variant])")
                || !errors.CheckText(field, platforms[p], TextKind.Name, PlatformLength)) continue;
            if (!SpecRules.Platform().IsMatch(platforms[p]))
                errors.Add(field, $"'{platforms[p]}' is not a platform (os/arch[/variant], e.g. linux/amd64 or wasi/wasm)");
            else if (platforms.IndexOf(platforms[p]) != p)
                errors.Add(field, $"'{platforms[p]}' is listed twice");
        }
        return platforms;
    }

    /// <summary>What the input's stage stands for when the input is valid; null otherwise (the errors added).</summary>
    private static Reference? CheckInput(string at, StageInputSpec input, int self, string? selfName, Dictionary<string, Reference> references,
        List<StageSpec> all, ErrorBag errors)
    {
        var reference = CheckReference($"{at}.stage", input.Stage, self, selfName, references, errors);
        if (reference is not null && all[reference.Index].Run is not null)
        {
            errors.Add($"{at}.stage", $"stage '{input.Stage}' runs a container; it exports no artifacts");
            reference = null;
        }
        else if (reference is not null && all[reference.Index].Output?.Type is { } type && !type.StoresArtifacts())
        {
            errors.Add($"{at}.stage", $"stage '{input.Stage}' does not export artifacts (its output type is {type.ToString().ToLowerInvariant()})");
            reference = null;
        }
        if ((input.Path is null || errors.CheckText($"{at}.path", input.Path, TextKind.Name, InputPathLength))
            && !SpecRules.IsSafeRelativePath(input.Path))
        {
            errors.Add($"{at}.path", "must be a relative path inside the context, without '..'");
            reference = null;
        }
        return reference;
    }

    private static Reference? CheckReference(string field, string? name, int self, string? selfName, Dictionary<string, Reference> references, ErrorBag errors)
    {
        if (string.IsNullOrEmpty(name)) errors.Add(field, "must name a stage");
        else if (!errors.CheckText(field, name, TextKind.Name, StageNameColumn)) { }
        else if (name == selfName) errors.Add(field, $"stage '{name}' cannot depend on itself");
        else if (!references.TryGetValue(name, out var reference)) errors.Add(field, $"'{name}' is not a stage of this build");
        else if (reference.Index == self) errors.Add(field, $"'{name}' is one of this stage's own combinations: a stage cannot depend on itself");
        else return reference;
        return null;
    }

    private static void CheckOutput(string at, OutputSpec output, ErrorBag errors)
    {
        var tags = output.Tags ?? [];
        if (tags.Count > SpecRules.MaxTags)
        {
            errors.Add($"{at}.tags", $"at most {SpecRules.MaxTags} tags are allowed");
            return;
        }
        if (!output.Type.IsImage())
        {
            if (tags.Count > 0) errors.Add($"{at}.tags", "only image outputs (image, oci, docker) take tags");
            if (output.Push) errors.Add($"{at}.push", "only image outputs can be pushed");
            return;
        }
        if (output.Push && output.Type != OutputType.Image)
            errors.Add($"{at}.push", $"an {output.Type.ToString().ToLowerInvariant()} output is stored as a tarball artifact (image.tar), not pushed; use an image output to push");
        else if (output.Push && tags.Count == 0)
            errors.Add($"{at}.tags", "an image that is pushed needs at least one tag");
        for (var t = 0; t < tags.Count; t++)
        {
            var field = $"{at}.tags[{t}]";
            if (!errors.IsNull(field, tags[t], "an image reference") && errors.CheckText(field, tags[t], TextKind.Name, TagLength)
                && !SpecRules.ImageReference().IsMatch(tags[t]))
                errors.Add(field, $"'{tags[t]}' is not a valid image reference (e.g. registry.example.com:5000/team/app:1.0)");
        }
    }
}
