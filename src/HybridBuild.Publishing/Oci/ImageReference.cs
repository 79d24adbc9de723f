using System.Text.RegularExpressions;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// An image in a registry: <c>registry/repository[:tag][@digest]</c>, as Docker spells it. A reference without
/// a registry host means Docker Hub (<c>docker.io</c>, with <c>library/</c> for one-part names).
/// </summary>
/// <param name="Registry">The registry host and optional port, e.g. <c>localhost:5000</c> or <c>ghcr.io</c>.</param>
/// <param name="Repository">The repository path, e.g. <c>acme/app</c>.</param>
/// <param name="Tag">The tag, or null.</param>
/// <param name="Digest">The manifest digest (<c>sha256:...</c>), or null.</param>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag = null, string? Digest = null)
{
    /// <summary>
    /// Speak plain HTTP to this registry. Loopback registries (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>)
    /// use HTTP without it; everything else uses HTTPS unless this is set.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>What to ask the registry for: the digest when there is one (copy by digest), else the tag.</summary>
    public string Reference => Digest ?? Tag ?? "latest";

    /// <summary>The registry's API root, <c>https://host/</c> (or <c>http://</c> for loopback and insecure ones).</summary>
    public Uri ApiBase
    {
        get
        {
            // Docker Hub's API does not answer on the name images are known by
            var host = Registry == "docker.io" ? "registry-1.docker.io" : Registry;
            return new Uri($"{(Insecure || IsLoopback ? "http" : "https")}://{host}/");
        }
    }

    private bool IsLoopback
    {
        get
        {
            var host = Registry.StartsWith('[') ? Registry[..(Registry.IndexOf(']') + 1)] : Registry.Split(':')[0];
            return host is "localhost" or "127.0.0.1" or "[::1]";
        }
    }

    /// <summary>Parses <c>[registry/]repository[:tag][@digest]</c>; throws <see cref="FormatException"/> naming the reference.</summary>
    public static ImageReference Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var match = ReferencePattern().Match(reference);
        if (!match.Success)
            throw new FormatException($"'{reference}' is not an image reference ([registry/]repository[:tag][@sha256:<64 hex>]).");
        var name = match.Groups["name"].Value;
        var slash = name.IndexOf('/');
        var first = slash < 0 ? "" : name[..slash];
        string registry, repository;
        // the first component is a host only when it looks like one, as Docker decides
        if (slash > 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.StartsWith('[')))
        {
            registry = first;
            repository = name[(slash + 1)..];
        }
        else
        {
            registry = "docker.io";
            repository = slash < 0 ? $"library/{name}" : name;
        }
        if (!RepositoryPattern().IsMatch(repository))
            throw new FormatException($"'{reference}' has an invalid repository name '{repository}' (lower-case path components).");
        var tag = match.Groups["tag"].Success ? match.Groups["tag"].Value : null;
        var digest = match.Groups["digest"].Success ? match.Groups["digest"].Value : null;
        return new ImageReference(registry, repository, tag, digest);
    }

    /// <summary>Checks a reference built without <see cref="Parse"/>: its parts go into request URLs.</summary>
    internal void Validate(string role)
    {
        if (string.IsNullOrWhiteSpace(Registry) || Registry.IndexOfAny(['/', '@', ' ', '?', '#']) >= 0)
            throw new ArgumentException($"The {role} registry '{Registry}' is not a host[:port].", role);
        if (!RepositoryPattern().IsMatch(Repository))
            throw new ArgumentException($"The {role} repository '{Repository}' is not a repository name (lower-case path components).", role);
        if (Tag is not null && !TagPattern().IsMatch(Tag))
            throw new ArgumentException($"The {role} tag '{Tag}' is not a tag.", role);
        if (Digest is not null && !OciDigest.IsValid(Digest))
            throw new ArgumentException($"The {role} digest '{Digest}' is not a sha256 digest.", role);
    }

    public override string ToString() =>
        $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";

    [GeneratedRegex(@"^(?<name>(?:(?:\[[0-9A-Fa-f:]+\]|[^:@/]+)(?::[0-9]+)?/)?[^:@]+)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();
}
