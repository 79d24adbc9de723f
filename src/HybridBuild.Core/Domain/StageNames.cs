namespace HybridBuild.Core.Domain;

/// <summary>What a stage name in a request stands for, now that a matrix stage is stored as its combinations.</summary>
public static class StageNames
{
    /// <summary>
    /// The names of the stages <paramref name="name"/> refers to: the stage of that name, or every combination of the
    /// spec's matrix stage of that name (in their order); empty when it is neither.
    /// </summary>
    public static List<string> Resolve(IEnumerable<Stage> stages, string? name) =>
        [.. stages.Where(s => s.Name == name || s.Matrix?.Stage == name).OrderBy(s => s.Matrix?.Index).Select(s => s.Name)];

    /// <summary><paramref name="names"/> with each resolved (<see cref="Resolve"/>), once each; null stays null.</summary>
    public static List<string>? ResolveAll(IEnumerable<Stage> stages, List<string>? names) =>
        names?.SelectMany(n => Resolve(stages, n)).Distinct(StringComparer.Ordinal).ToList();
}
