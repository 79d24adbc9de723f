namespace HybridBuild.Core.Specs;

/// <summary>
/// Inline files that would land on one path once packed: the same path after normalisation ("a" and "a/"), or a
/// file that is also a folder of another ("a" and "a/b"). Extraction refuses both, but only when the stage runs;
/// found here, they are a 400 at submission.
/// </summary>
internal static class InlinePaths
{
    /// <summary>A message for each path that collides with another; the paths are already checked one by one.</summary>
    public static IEnumerable<string> Collisions(IEnumerable<string> paths)
    {
        // a tree of segments, so the cost is the paths' length, not length times depth
        var root = new Node();
        foreach (var path in paths.Order(StringComparer.Ordinal))
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var node = root;
            string? inside = null;
            for (var i = 0; i < segments.Length && inside is null; i++)
            {
                node = node.Child(segments[i]);
                if (i == segments.Length - 1) break;
                inside = node.File;
                node.Below ??= path;
            }
            if (inside is not null)
                yield return $"'{TextRules.Quote(path)}' is inside '{TextRules.Quote(inside)}', which is a file too";
            else if (node.File is { } same)
                yield return $"'{TextRules.Quote(path)}' is the same path as '{TextRules.Quote(same)}'";
            else if (node.Below is { } below)
                yield return $"'{TextRules.Quote(path)}' is a file and also the folder of '{TextRules.Quote(below)}'";
            else
                node.File = path;
        }
    }

    private sealed class Node
    {
        private Dictionary<string, Node>? _children;
        /// <summary>The inline file at this path.</summary>
        public string? File { get; set; }
        /// <summary>The first inline file under this path, which makes it a folder.</summary>
        public string? Below { get; set; }

        public Node Child(string segment)
        {
            _children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
            if (!_children.TryGetValue(segment, out var child)) _children[segment] = child = new Node();
            return child;
        }
    }
}
