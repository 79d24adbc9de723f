namespace HybridBuild.Core.Sources;

/// <summary>
/// The paths an archive has named so far, as a tree of segments. An entry walks it once, a step per segment, so
/// checking it costs its length; keying a dictionary by every folder on the way hashed each prefix again, which
/// is length times depth per entry (a 290-byte gzip with one 32 KB path took seconds and hundreds of MB).
/// </summary>
internal sealed class ContextTree(int maxNodes)
{
    private int _count;

    public ContextNode Root { get; } = new(null, "") { Kind = TarEntryType.Directory };

    /// <summary>The child named <paramref name="segment"/>, created (with no kind) when missing; every node counts toward the limit.</summary>
    public ContextNode GetOrAdd(ContextNode parent, ReadOnlySpan<char> segment)
    {
        parent.Children ??= new Dictionary<string, ContextNode>(StringComparer.Ordinal);
        if (parent.Children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(segment, out var node)) return node;
        // folders on the way and those a link's target names are created too: without this bound a few
        // thousand deep paths would make millions of nodes
        if (++_count > maxNodes)
            throw new PayloadTooLargeException($"The context names more than {maxNodes} paths (entries, the folders on their way and those links lead through).");
        var name = segment.ToString();
        parent.Children[name] = node = new ContextNode(parent, name);
        return node;
    }

    public static ContextNode? Find(ContextNode parent, ReadOnlySpan<char> segment) =>
        parent.Children is { } children && children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(segment, out var node) ? node : null;

    /// <summary>The node of a normalised path, or null when the archive has not named it.</summary>
    public ContextNode? Find(string path)
    {
        var node = Root;
        foreach (var segment in new PathPieces(path))
        {
            if (Find(node, segment) is not { } child) return null;
            node = child;
        }
        return node;
    }
}

internal sealed class ContextNode(ContextNode? parent, string segment)
{
    public ContextNode? Parent { get; } = parent;
    public string Segment { get; } = segment;
    /// <summary>Null while the path was only named on the way of a link's target, not by an entry or an entry's path.</summary>
    public TarEntryType? Kind { get; set; }
    /// <summary>A file's size, which a hard link to it costs again.</summary>
    public long Size { get; set; }
    /// <summary>The first symbolic link whose target passes through here: a link created here later would change where it leads.</summary>
    public string? TraversedBy { get; set; }
    public Dictionary<string, ContextNode>? Children { get; set; }

    /// <summary>The path from the root; built only for messages.</summary>
    public string Path
    {
        get
        {
            var segments = new List<string>();
            for (var node = this; node.Parent is not null; node = node.Parent) segments.Add(node.Segment);
            segments.Reverse();
            return string.Join('/', segments);
        }
    }
}
