namespace HybridBuild.Core.Specs;

public static partial class SpecValidator
{
    private const int MaxRunArguments = 256, MaxRunArgumentLength = 32 * 1024, MaxEnv = 200, RuntimeLength = 128;

    /// <summary>
    /// A verification stage's <c>run</c>: the image is a stage of this build with a tagged image output (the stage is
    /// then needed) or an image reference. Env values are checked but never quoted: they may be secrets.
    /// </summary>
    private static StageRun? CheckRun(string at, StageSpec spec, HashSet<string> names, List<StageSpec> all, ErrorBag errors)
    {
        if (spec.Run is not { } run) return null;
        at += ".run";
        if (spec.Target is not null || spec.BuildArgs?.Count > 0 || spec.Platforms?.Count > 0 || spec.Inputs?.Count > 0
            || spec.Secrets?.Count > 0 || spec.Output is not null)
            errors.Add(at, "a stage that runs a container builds nothing: leave out target, buildArgs, platforms, inputs, secrets and output");

        var imageStage = CheckRunImage($"{at}.image", run.Image, spec.Name, names, all, errors);
        if (run.Command is { } command)
        {
            if (command.Count == 0)
                errors.Add($"{at}.command", "must hold at least one argument; leave it out to run the image's own command");
            else if (command.Count > MaxRunArguments)
                errors.Add($"{at}.command", $"at most {MaxRunArguments} arguments are allowed");
            else
                for (var c = 0; c < command.Count; c++)
                    if (!errors.IsNull($"{at}.command[{c}]", command[c], "a string"))
                        errors.CheckText($"{at}.command[{c}]", command[c], TextKind.Text, MaxRunArgumentLength);
        }
        CheckEnv($"{at}.env", run.Env, errors);
        if (run.ExpectExitCode is < 0 or > 255)
            errors.Add($"{at}.expectExitCode", $"must be an exit code from 0 to 255, not {run.ExpectExitCode}");
        if (run.Runtime is not null && errors.CheckText($"{at}.runtime", run.Runtime, TextKind.Name, RuntimeLength)
            && !SpecRules.RuntimeName().IsMatch(run.Runtime))
            errors.Add($"{at}.runtime", $"'{run.Runtime}' is not a runtime name (e.g. io.containerd.wasmedge.v1)");
        var timeout = CheckDuration($"{at}.timeout", run.Timeout, SpecRules.MaxStageTimeout, errors);

        return new StageRun
        {
            Image = run.Image ?? "",
            ImageStage = imageStage,
            Command = run.Command is null ? null : [.. run.Command],
            Env = new Dictionary<string, string>(run.Env ?? [], StringComparer.Ordinal),
            Timeout = timeout,
            ExpectExitCode = run.ExpectExitCode,
            Network = run.Network,
            Runtime = run.Runtime,
        };
    }

    /// <summary>The stage <paramref name="image"/> names, or null for an image reference (or an error).</summary>
    private static string? CheckRunImage(string field, string? image, string? self, HashSet<string> names, List<StageSpec> all, ErrorBag errors)
    {
        if (string.IsNullOrEmpty(image)) { errors.Add(field, "is required: a stage of this build with an image output, or an image reference"); return null; }
        if (!errors.CheckText(field, image, TextKind.Name, TagLength)) return null;
        if (!names.Contains(image))
        {
            if (!SpecRules.ImageReference().IsMatch(image))
                errors.Add(field, $"'{image}' is neither a stage of this build nor an image reference (e.g. busybox or registry.example.com/team/app:1.0)");
            return null;
        }
        if (image == self) { errors.Add(field, $"stage '{image}' cannot run its own image"); return null; }
        var output = all.First(s => s?.Name == image).Output ?? new OutputSpec();
        if (output.Type != OutputType.Image)
            errors.Add(field, $"stage '{image}' has no image output to run (its output type is {output.Type.ToString().ToLowerInvariant()})");
        else if (output.Tags is not { Count: > 0 })
            errors.Add(field, $"stage '{image}' keeps its image without a tag; give its output a tag to run it by");
        return image;
    }

    private static void CheckEnv(string at, Dictionary<string, string>? env, ErrorBag errors)
    {
        if (env?.Count > MaxEnv) { errors.Add(at, $"at most {MaxEnv} variables are allowed"); return; }
        foreach (var (name, value) in env ?? [])
        {
            if (!errors.CheckText(at, name, TextKind.Name, SpecRules.MaxBuildArgNameLength, quote: true)) { }
            else if (!SpecRules.BuildArgName().IsMatch(name))
                errors.Add(at, $"'{name}' is not a valid environment variable name (letters, digits and '_', not starting with a digit)");
            else if (value is null || value.Contains('\0') || value.Length > SpecRules.MaxBuildArgLength)
                errors.Add($"{at}.{name}", $"must be a string of at most {SpecRules.MaxBuildArgLength} characters without NUL");
        }
    }
}
