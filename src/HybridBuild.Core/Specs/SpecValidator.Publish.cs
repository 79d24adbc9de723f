namespace HybridBuild.Core.Specs;

public static partial class SpecValidator
{
    // publications.target and publications.path_template; Artifactory keeps property keys to 255 characters and values to 4000
    private const int PublishTargetColumn = 100, PublishPathColumn = 1024, PropertyKeyLength = 255, PropertyValueLength = 4000;

    /// <summary>
    /// The shape of the automatic publications; whether a target is configured and the stages exist is the host's
    /// to check, as only it knows the targets.
    /// </summary>
    private static void CheckPublish(List<PublishSpec>? publish, ErrorBag errors)
    {
        publish ??= [];
        for (var i = 0; i < publish.Count; i++)
        {
            var at = $"publish[{i}]";
            if (errors.IsNull(at, publish[i], "a publication (target, stages, path, properties)")) continue;
            var spec = publish[i];
            if (spec.Target is not null) errors.CheckText($"{at}.target", spec.Target, TextKind.Name, PublishTargetColumn);
            var stages = spec.Stages ?? [];
            for (var s = 0; s < stages.Count; s++)
                if (!errors.IsNull($"{at}.stages[{s}]", stages[s], "a stage name"))
                    errors.CheckText($"{at}.stages[{s}]", stages[s], TextKind.Name, StageNameColumn);
            if (spec.Path is not null) errors.CheckText($"{at}.path", spec.Path, TextKind.Name, PublishPathColumn);
            foreach (var (key, value) in spec.Properties ?? [])
            {
                if (!errors.CheckText($"{at}.properties", key, TextKind.Name, PropertyKeyLength, quote: true)) continue;
                if (!errors.IsNull($"{at}.properties.{key}", value, "a string"))
                    errors.CheckText($"{at}.properties.{key}", value, TextKind.Name, PropertyValueLength);
            }
        }
    }
}
