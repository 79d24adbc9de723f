namespace HybridBuild.Core.Specs;

public static partial class SpecValidator
{
    // builds.git_ref
    private const int GitRefColumn = 255;

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
        // GitUrl bounds the URL by its column (builds.git_url, 2048) and refuses control characters itself
        if (GitUrl.Check(git.Url) is { } urlError) errors.Add("source.git.url", urlError);
        if (git.Ref is not null && errors.CheckText("source.git.ref", git.Ref, TextKind.Name, GitRefColumn)
            && !SpecRules.GitRef().IsMatch(git.Ref))
            errors.Add("source.git.ref", "is not a valid branch, tag or commit");
    }

    private static void CheckInline(InlineSourceSpec inline, string dockerfile, ErrorBag errors)
    {
        const string field = "source.inline.files";
        var files = inline.Files ?? [];
        if (files.Count == 0) errors.Add(field, "at least one file is required");
        var paths = new List<string>();
        foreach (var (path, content) in files)
        {
            if (InlinePathProblem(path) is { } problem) errors.Add(field, $"'{TextRules.Quote(path)}' {problem}");
            else paths.Add(path);
            if (content is null) errors.Add(field, $"'{TextRules.Quote(path)}' has no content (null)");
            else if (TextRules.Check(content, TextKind.Content) is { } nul)
                errors.Add(field, $"'{TextRules.Quote(path)}' {nul}");
        }
        foreach (var collision in InlinePaths.Collisions(paths)) errors.Add(field, collision);

        // compared as packed: "build//Dockerfile" is the file "build/Dockerfile"
        var packed = paths.Select(PathRules.Normalize).ToHashSet(StringComparer.Ordinal);
        if (files.Count > 0 && !packed.Contains(PathRules.Normalize(dockerfile)))
            errors.Add(field, $"there is no '{TextRules.Quote(dockerfile)}' among the inline files");
        var executables = inline.Executables ?? [];
        for (var i = 0; i < executables.Count; i++)
            if (!errors.IsNull($"source.inline.executables[{i}]", executables[i], "the path of an inline file")
                && !packed.Contains(PathRules.Normalize(executables[i])))
                errors.Add($"source.inline.executables[{i}]", $"'{TextRules.Quote(executables[i])}' is not one of the inline files");
    }

    /// <summary>What an uploaded archive's entry names must meet too (<see cref="PathRules"/>), as inline files are packed into one.</summary>
    private static string? InlinePathProblem(string path) =>
        TextRules.Check(path, TextKind.Name)
        ?? PathRules.CheckShape(path, PathRules.DefaultMaxDepth)
        ?? (SpecRules.IsRelativeInside(path) ? null : "is not a relative path inside the context");
}
