using System.Diagnostics;

namespace HybridBuild.Testing;

/// <summary>A git repository the test writes and commits to, served read-only by git daemon on a loopback port.</summary>
public sealed class GitRepository : IAsyncDisposable
{
    private readonly string _root;
    private readonly string _project;
    private readonly Process _daemon;

    private GitRepository(string root, string project, Process daemon, int port)
    {
        _root = root;
        _project = project;
        _daemon = daemon;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"git://127.0.0.1:{Port}/app.git";
    /// <summary>The latest commit.</summary>
    public string Commit { get; private set; } = "";

    /// <summary>A repository whose <paramref name="branch"/> holds one commit of <paramref name="files"/>.</summary>
    public static async Task<GitRepository> CreateAsync(IReadOnlyDictionary<string, string> files, string branch = "main")
    {
        var root = Directory.CreateTempSubdirectory("hybridbuild-git-").FullName;
        var project = Path.Combine(root, "app.git");
        Directory.CreateDirectory(project);
        await Git.RunAsync(project, "init", "-q", "-b", branch);
        var port = Ports.Free();
        var daemon = Process.Start(new ProcessStartInfo("git", ["daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", $"--port={port}", $"--base-path={root}", root])
            { RedirectStandardError = true }) ?? throw new InvalidOperationException("git daemon is needed for this test and could not be started");
        var repository = new GitRepository(root, project, daemon, port);
        await repository.CommitAsync(files, "one");
        await Ports.WaitListeningAsync(port, "git daemon");
        return repository;
    }

    /// <summary>Writes <paramref name="files"/> and commits them on the current branch; returns the new commit.</summary>
    public async Task<string> CommitAsync(IReadOnlyDictionary<string, string> files, string message)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(_project, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, content);
        }
        await Git.RunAsync(_project, "add", ".");
        await Git.RunAsync(_project, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message);
        return Commit = (await Git.RunAsync(_project, "rev-parse", "HEAD")).Trim();
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            _daemon.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it had exited
        }
        _daemon.Dispose();
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
