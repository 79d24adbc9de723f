using System.Text.Json;

namespace HybridBuild.Core.Specs;

public static partial class SpecValidator
{
    /// <summary>One combination of a matrix: the stage name it makes and its axis values, in axis order.</summary>
    private sealed record Combination(string Name, Dictionary<string, string> Values);

    private sealed record Axis(string Name, List<string> Values);

    // how far past Limits:MaxMatrixCombinations a cross product may go before exclude (bounds the work of expanding it)
    private const int CrossProductFactor = 64;

    private enum ReferenceKind { Stage, Matrix, Combination }

    /// <summary>What a name in <c>needs</c> or <c>inputs</c> stands for: the spec's stage at <paramref name="Index"/>, as these stages.</summary>
    private sealed record Reference(int Index, List<string> Stages, ReferenceKind Kind);

    /// <summary>
    /// The combinations stage <paramref name="at"/>'s matrix expands into, in axis order with the last axis varying fastest,
    /// less the excluded; null when it is not valid (the errors added).
    /// </summary>
    private static List<Combination>? ExpandMatrix(StageSpec spec, string at, SpecLimits limits, ErrorBag errors)
    {
        var field = $"{at}.matrix";
        if (spec.Output?.Tags is { Count: > 0 })
            errors.Add($"{at}.output.tags", "a matrix stage cannot take tags: every combination would write the same ones");
        var max = limits.MaxMatrixCombinations;
        var axes = CheckAxes(spec, field, max * CrossProductFactor, errors);
        var excludes = axes is null ? null : CheckExcludes(spec.Matrix!.Exclude ?? [], axes, field, errors);
        if (axes is null || excludes is null) return null;

        var product = axes.Aggregate(1.0, (p, a) => p * a.Values.Count);
        if (product > max * CrossProductFactor)
        {
            errors.Add(field, $"its axes make {product:N0} combinations; at most {max} are allowed (Limits:MaxMatrixCombinations)");
            return null;
        }
        var combinations = new List<Combination>();
        var positions = new int[axes.Count];
        for (var n = 0; n < product; n++)
        {
            var picked = axes.Select((a, i) => a.Values[positions[i]]).ToList();
            var values = axes.Select((a, i) => (a.Name, Value: picked[i])).ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
            if (!excludes.Any(e => e.All(v => values[v.Key] == v.Value)))
                combinations.Add(new Combination($"{spec.Name}-{string.Join('-', picked)}", values));
            for (var i = axes.Count - 1; i >= 0 && ++positions[i] == axes[i].Values.Count; i--) positions[i] = 0;
        }

        if (combinations.Count == 0) errors.Add($"{field}.exclude", "leaves no combination to run");
        else if (combinations.Count > max)
            errors.Add(field, $"makes {combinations.Count} combinations; at most {max} are allowed (Limits:MaxMatrixCombinations)");
        else if (combinations.FirstOrDefault(c => !SpecRules.StageName().IsMatch(c.Name)) is { } tooLong)
            errors.Add(field, $"makes the stage name '{tooLong.Name}', longer than {StageNameColumn} characters");
        else
            return combinations;
        return null;
    }

    private static List<Axis>? CheckAxes(StageSpec spec, string field, int maxValues, ErrorBag errors)
    {
        var raw = spec.Matrix!.Axes ?? [];
        if (raw.Count == 0)
        {
            errors.Add(field, "needs at least one axis: a build argument and the list of its values, e.g. {\"os\": [\"linux\", \"windows\"]}");
            return null;
        }
        if (raw.Count + (spec.BuildArgs?.Count ?? 0) > SpecRules.MaxBuildArgs)
        {
            errors.Add(field, $"at most {SpecRules.MaxBuildArgs} build arguments are allowed, axes included");
            return null;
        }
        var axes = new List<Axis>();
        foreach (var (name, element) in raw)
        {
            if (!errors.CheckText(field, name, TextKind.Name, SpecRules.MaxBuildArgNameLength, quote: true)) continue;
            if (!SpecRules.BuildArgName().IsMatch(name))
                errors.Add(field, $"'{name}' is not a valid build argument name, so it cannot be an axis");
            else if (spec.BuildArgs?.ContainsKey(name) == true)
                errors.Add($"{field}.{name}", "is also in buildArgs: an axis sets that build argument for each combination");
            else if (CheckValues($"{field}.{name}", element, maxValues, errors) is { } values)
                axes.Add(new Axis(name, values));
        }
        return axes.Count == raw.Count ? axes : null;
    }

    private static List<string>? CheckValues(string field, JsonElement element, int maxValues, ErrorBag errors)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            errors.Add(field, "must be a list of values, e.g. [\"linux\", \"windows\"]");
            return null;
        }
        if (element.GetArrayLength() > maxValues)
        {
            errors.Add(field, $"lists {element.GetArrayLength()} values, more than a matrix may expand into (Limits:MaxMatrixCombinations)");
            return null;
        }
        var values = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var at = $"{field}[{index++}]";
            var value = item.ValueKind == JsonValueKind.String ? item.GetString()! : null;
            if (value is null) errors.Add(at, "must be a string");
            else if (!errors.CheckText(at, value, TextKind.Name, StageNameColumn)) { }
            else if (!SpecRules.MatrixValue().IsMatch(value))
                errors.Add(at, $"'{value}' cannot be part of a stage name: use letters, digits, '_', '-' and '.'");
            else if (!seen.Add(value)) errors.Add(at, $"'{value}' is listed twice");
            else values.Add(value);
        }
        if (index == 0) errors.Add(field, "must list at least one value");
        return index > 0 && values.Count == index ? values : null;
    }

    private static List<Dictionary<string, string>>? CheckExcludes(List<Dictionary<string, string>> excludes, List<Axis> axes, string field, ErrorBag errors)
    {
        var valid = true;
        for (var k = 0; k < excludes.Count; k++)
        {
            var at = $"{field}.exclude[{k}]";
            if (errors.IsNull(at, excludes[k], "an object of axis values")) { valid = false; continue; }
            if (excludes[k].Count == 0) { errors.Add(at, "must name at least one axis and its value"); valid = false; }
            foreach (var (axis, value) in excludes[k])
            {
                var known = axes.FirstOrDefault(a => a.Name == axis);
                if (known is null) errors.Add(at, $"'{TextRules.Quote(axis)}' is not an axis of this matrix");
                else if (value is null) errors.Add($"{at}.{axis}", "must be a value of the axis, not null");
                else if (!known.Values.Contains(value)) errors.Add($"{at}.{axis}", $"'{TextRules.Quote(value)}' is not a value of axis '{axis}'");
                else continue;
                valid = false;
            }
        }
        return valid ? excludes : null;
    }

    /// <summary>
    /// Every name a <c>needs</c> or <c>inputs</c> may use: the stages, the matrix stages (all their combinations) and each
    /// combination by its expanded name. An expanded name that is already taken is an error at the matrix that makes it.
    /// </summary>
    private static Dictionary<string, Reference> References(List<StageSpec> specs, HashSet<string> names, List<Combination>?[] matrices, ErrorBag errors)
    {
        var table = new Dictionary<string, Reference>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
            if (specs[i]?.Name is { } name && names.Contains(name))
                table.TryAdd(name, matrices[i] is { } combinations
                    ? new Reference(i, [.. combinations.Select(c => c.Name)], ReferenceKind.Matrix)
                    : new Reference(i, [name], ReferenceKind.Stage));
        for (var i = 0; i < specs.Count; i++)
            foreach (var combination in matrices[i] ?? [])
                if (!table.TryAdd(combination.Name, new Reference(i, [combination.Name], ReferenceKind.Combination)))
                {
                    var other = table[combination.Name];
                    errors.Add($"stages[{i}].matrix", other switch
                    {
                        { Kind: ReferenceKind.Combination, Index: var j } when j == i => $"makes the stage name '{combination.Name}' twice",
                        { Kind: ReferenceKind.Combination, Index: var j } => $"makes the stage name '{combination.Name}', which the matrix of stages[{j}] makes too",
                        { Index: var j } => $"makes the stage name '{combination.Name}', which is the name of stages[{j}]",
                    });
                }

        var expanded = Enumerable.Range(0, specs.Count).Sum(i => matrices[i]?.Count ?? 1);
        if (expanded > SpecRules.MaxExpandedStages)
            errors.Add("stages", $"the matrices expand the spec into {expanded} stages; at most {SpecRules.MaxExpandedStages} are allowed");
        return table;
    }

    /// <summary>The stage as it runs: itself, or one stage per combination with the combination's build arguments added.</summary>
    private static IEnumerable<Stage> Expand(Stage stage, List<Combination>? combinations) =>
        combinations is null ? [stage] : combinations.Select((c, index) => new Stage
        {
            Ordinal = stage.Ordinal,
            Name = c.Name,
            Target = stage.Target,
            BuildArgs = new Dictionary<string, string>(stage.BuildArgs.Concat(c.Values), StringComparer.Ordinal),
            Platforms = [.. stage.Platforms],
            Needs = [.. stage.Needs],
            Inputs = [.. stage.Inputs],
            Output = stage.Output with { Tags = [.. stage.Output.Tags] },
            Secrets = [.. stage.Secrets],
            Timeout = stage.Timeout,
            QueueTtl = stage.QueueTtl,
            Cache = stage.Cache,
            Run = stage.Run,
            Matrix = new StageMatrix(stage.Name, new Dictionary<string, string>(c.Values, StringComparer.Ordinal), index),
        });
}
