using HybridBuild.Core.Processes;

namespace HybridBuild.Core.Sources;

/// <summary>Fetches one ref of a git repository, shallowly, with prompts and unsafe transports disabled.</summary>
public static class GitCheckout
{
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_ASKPASS"] = "true",
        ["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
    };

    // Only the transports a spec may name; 'ext' and 'file' stay off even for submodules. Redirects are not
    // followed: the outbound policy checked the URL's host, and a redirect would reach one it never saw.
    private static readonly string[] ProtocolConfig =
    [
        "-c", "protocol.allow=never", "-c", "protocol.https.allow=always", "-c", "protocol.http.allow=always",
        "-c", "protocol.ssh.allow=always", "-c", "protocol.git.allow=always", "-c", "advice.detachedHead=false",
        "-c", "http.followRedirects=false",
    ];

    /// <summary>
    /// Checks the URL's host against the outbound policy now (a name may resolve elsewhere than when it was submitted),
    /// then fetches as <see cref="FetchAsync"/> does, over HTTP(S) from the addresses just checked.
    /// </summary>
    /// <param name="what">What the URL is, for the refusal: "git URL", "repository URL".</param>
    /// <exception cref="SourceFetchException">The policy refuses the host, or the fetch fails.</exception>
    public static async Task<GitCommit> FetchCheckedAsync(Network.OutboundPolicy network, string what, string url, string? gitRef, string directory,
        string gitPath, ContextLimits limits, CancellationToken ct)
    {
        var host = await network.ResolveAsync(GitUrl.Host(url), ct);
        if (host.Refused is { } refused) throw new SourceFetchException($"The {what} {refused}.");
        return await FetchAsync(url, gitRef, directory, gitPath, limits, ct, host.Addresses);
    }

    /// <summary>
    /// Checks out <paramref name="gitRef"/> (default branch when null) into <paramref name="directory"/>; returns the commit and its time.
    /// Over HTTP(S), git connects only to <paramref name="addresses"/> (those the outbound policy checked) when given.
    /// </summary>
    public static async Task<GitCommit> FetchAsync(string url, string? gitRef, string directory, string gitPath, ContextLimits limits, CancellationToken ct,
        IReadOnlyList<System.Net.IPAddress>? addresses = null)
    {
        Directory.CreateDirectory(directory);
        await GitAsync(gitPath, directory, ct, "init", "-q");
        await GitAsync(gitPath, directory, ct, null, PinnedResolution(url, addresses), "fetch", "-q", "--depth", "1", "--no-tags", "--", url, gitRef ?? "HEAD");
        await CheckSizeAsync(gitPath, directory, limits, ct);
        await GitAsync(gitPath, directory, ct, "checkout", "-q", "--force", "FETCH_HEAD");
        var commit = "";
        await GitAsync(gitPath, directory, ct, line => commit = line.Trim(), [], "log", "-1", "--format=%H %ct", "HEAD");
        Directory.Delete(Path.Combine(directory, ".git"), recursive: true);
        var parts = commit.Split(' ');
        return new GitCommit(parts[0], DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// git's libcurl resolves <c>host:port</c> to the given addresses instead of asking DNS again (<c>http.curloptResolve</c>),
    /// for http and https URLs; ssh and git:// resolve on their own.
    /// </summary>
    internal static string[] PinnedResolution(string url, IReadOnlyList<System.Net.IPAddress>? addresses)
    {
        if (addresses is not { Count: > 0 } || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return [];
        var host = uri.IdnHost.Trim('[', ']');
        var listed = string.Join(',', addresses.Select(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString()));
        return ["-c", $"http.curloptResolve={host}:{uri.Port}:{listed}"];
    }

    /// <summary>A checkout is bounded like an uploaded context; the tree is measured before anything is written.</summary>
    private static async Task CheckSizeAsync(string gitPath, string directory, ContextLimits limits, CancellationToken ct)
    {
        long entries = 0, bytes = 0;
        await GitAsync(gitPath, directory, ct, line =>
        {
            // <mode> <type> <object> <size>\t<path>; submodules have no size
            var fields = line.Split('\t', 2)[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            entries++;
            if (fields.Length == 4 && long.TryParse(fields[3], out var size)) bytes += size;
        }, [], "ls-tree", "-r", "-l", "--full-tree", "FETCH_HEAD");
        if (entries > limits.MaxEntries)
            throw new SourceFetchException($"The repository has {entries} files at that ref, more than Limits:MaxEntries ({limits.MaxEntries}).");
        if (bytes > limits.MaxExtractedBytes)
            throw new SourceFetchException($"The repository holds {bytes} bytes at that ref, more than Limits:MaxExtractedBytes ({limits.MaxExtractedBytes}).");
    }

    private static Task GitAsync(string gitPath, string directory, CancellationToken ct, params string[] args) =>
        GitAsync(gitPath, directory, ct, null, [], args);

    private static async Task GitAsync(string gitPath, string directory, CancellationToken ct, Action<string>? onOutput, string[] config, params string[] args)
    {
        var result = await ProcessRunner.RunAsync(gitPath, [.. ProtocolConfig, .. config, .. args], directory, Environment, onOutput, cancellationToken: ct);
        if (result.ExitCode != 0)
        {
            var said = string.Join('\n', result.StandardErrorTail.Select(Redact)).Trim();
            throw new SourceFetchException($"git {args[0]} failed (exit code {result.ExitCode}): {said}");
        }
    }

    private static string Redact(string line)
    {
        // git may echo the URL it was given; keep any user information out of logs and records
        foreach (var word in line.Split(' ', '\'', '"'))
            if (word.Contains("://") && word.Contains('@')) line = line.Replace(word, GitUrl.Redact(word));
        return line;
    }
}

/// <summary>The source could not be fetched; the stage fails with this message.</summary>
public sealed class SourceFetchException(string message) : Exception(message);

/// <summary>A checked-out commit and its committer time (what <c>SOURCE_DATE_EPOCH</c> is set to for a reproducible build).</summary>
public sealed record GitCommit(string Sha, DateTimeOffset Time);
