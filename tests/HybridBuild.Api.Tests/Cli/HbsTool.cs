namespace HybridBuild.Api.Tests.Cli;

/// <summary>What a finished <c>hbs</c> run wrote and how it exited.</summary>
public sealed record HbsResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// The command line as a user gets it: the repository's <c>src/HybridBuild.Cli</c> packed once per run, installed with
/// <c>dotnet tool install</c> from that package alone (a nuget.config with only the local folder, so nothing is fetched),
/// and run as a child process with HBS_URL and HBS_TOKEN in its environment and no config file.
/// </summary>
public static class HbsTool
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"hbs-tool-{Guid.NewGuid():N}");
    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);

    public static string Example(string name) => RepositoryRoot.Combine("src", "HybridBuild.Api", "Examples", name);

    /// <summary>Runs <c>hbs</c> to its end (at most <paramref name="timeout"/>, else the test fails).</summary>
    public static async Task<HbsResult> RunAsync(ServiceFixture service, IEnumerable<string> args, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var run = await StartAsync(service, args, environment);
        return await run.WaitAsync(timeout ?? TimeSpan.FromMinutes(15));
    }

    /// <summary>Starts <c>hbs</c>; <paramref name="environment"/> overrides (null: removes) the variables it is given.</summary>
    public static async Task<HbsRun> StartAsync(ServiceFixture service, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(await Installed.Value)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["HBS_URL"] = service.BaseAddress.ToString();
        start.Environment["HBS_TOKEN"] = ServiceFixture.AdminKey;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Root, "no-config"); // no config file of the machine's
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        return new HbsRun(Process.Start(start)!);
    }

    private static async Task<string> InstallAsync()
    {
        var packages = Path.Combine(Root, "packages");
        var tools = Path.Combine(Root, "tools");
        await DotnetAsync("pack", RepositoryRoot.Combine("src", "HybridBuild.Cli"), "-o", packages, "-p:Version=0.0.0-test");
        var config = Path.Combine(Root, "nuget.config");
        await File.WriteAllTextAsync(config,
            $"<configuration><packageSources><clear /><add key=\"local\" value=\"{packages}\" /></packageSources></configuration>");
        await DotnetAsync("tool", "install", "hybridbuild", "--tool-path", tools, "--configfile", config, "--version", "0.0.0-test");
        var hbs = Path.Combine(tools, "hbs");
        Assert.True(File.Exists(hbs), $"dotnet tool install left no {hbs}");
        return hbs;
    }

    private static async Task DotnetAsync(params string[] args)
    {
        Directory.CreateDirectory(Root);
        var result = await RunProcessAsync("dotnet", args, Root);
        if (result.ExitCode != 0) throw new InvalidOperationException($"dotnet {string.Join(' ', args)} failed: {result}");
    }

    /// <summary>Runs another program to its end, collecting what it writes.</summary>
    public static async Task<HbsResult> RunProcessAsync(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{file}' could not be started; these tests need it on PATH ({e.Message}).", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return new HbsResult(process.ExitCode, await stdout, await stderr);
        }
    }
}

/// <summary>A running <c>hbs</c>: its output as it comes, Ctrl-C, and its end.</summary>
public sealed class HbsRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly Task _reading;

    public HbsRun(Process process)
    {
        _process = process;
        _reading = Task.WhenAll(PumpAsync(process.StandardOutput, _stdout), PumpAsync(process.StandardError, _stderr));
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    private static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
            lock (into) into.Append(buffer, 0, read);
    }

    /// <summary>Waits until stderr holds <paramref name="text"/>, or fails with what it holds.</summary>
    public async Task WaitForStderrAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline) Assert.Fail($"hbs never wrote '{text}':\n{Stderr}");
            await Task.Delay(100);
        }
    }

    /// <summary>Ctrl-C: SIGINT to the process, as a terminal sends it.</summary>
    public async Task InterruptAsync()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString()]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public async Task<HbsResult> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"hbs did not end within {timeout}:\n{Stderr}");
        }
        await _reading;
        lock (_stdout) lock (_stderr) return new HbsResult(_process.ExitCode, _stdout.ToString(), _stderr.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _reading;
        _process.Dispose();
    }
}
