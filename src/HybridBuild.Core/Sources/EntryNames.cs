namespace HybridBuild.Core.Sources;

/// <summary>The names in a tar entry: what is accepted, how they read as context paths, and how errors quote them.</summary>
internal static class EntryNames
{
    /// <summary>
    /// Refuses names that are too long, too deep, have a segment Linux cannot create, or hold control characters
    /// (NUL would cut the name where the kernel reads it). Linear in the names' length: it runs before anything
    /// that looks at every folder on the way.
    /// </summary>
    public static void Check(TarEntry entry, int maxDepth)
    {
        if (TextRules.FindForbidden(entry.Name, TextKind.Name) >= 0)
            throw new InvalidContextException($"Entry '{Show(entry.Name)}' has a control character (such as NUL or a newline) in its path.");
        if (PathRules.CheckShape(entry.Name, maxDepth) is { } shape)
            throw new InvalidContextException($"Entry '{Show(entry.Name)}' has a path that {shape}.");
        if (entry.EntryType is not (TarEntryType.SymbolicLink or TarEntryType.HardLink)) return;
        if (entry.LinkName.Contains('\0'))
            throw new InvalidContextException($"Link '{Show(entry.Name)}' has a NUL in its target.");
        if (PathRules.CheckShape(entry.LinkName, maxDepth) is { } linkShape)
            throw new InvalidContextException($"Link '{Show(entry.Name)}' has a target that {linkShape}.");
    }

    /// <summary>
    /// The path relative to the context, with no empty or '.' segment and no trailing '/' ("" for the root);
    /// refuses unsafe paths.
    /// </summary>
    public static string Normalize(string entryName)
    {
        if (entryName.Contains('\0') || entryName.Contains('\\'))
            throw new InvalidContextException($"Entry '{Show(entryName)}' has a NUL or backslash in its path.");
        if (entryName.StartsWith('/'))
            throw new InvalidContextException($"Entry '{Show(entryName)}' has an absolute path.");
        int count = 0, length = 0;
        foreach (var segment in new PathPieces(entryName))
        {
            if (segment is "..")
                throw new InvalidContextException($"Entry '{Show(entryName)}' has a '..' segment and would land outside the context.");
            count++;
            length += segment.Length;
        }
        if (count == 0) return "";
        if (length + count - 1 == entryName.Length) return entryName; // already normal, as most names are
        var normal = new System.Text.StringBuilder(length + count - 1);
        foreach (var segment in new PathPieces(entryName))
            (normal.Length == 0 ? normal : normal.Append('/')).Append(segment);
        return normal.ToString();
    }

    /// <summary>A name fit for an error message: control characters as '?', and long names cut.</summary>
    public static string Show(string value) => TextRules.Quote(value);
}
