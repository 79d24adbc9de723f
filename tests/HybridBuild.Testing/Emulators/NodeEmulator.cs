using System.Diagnostics;

namespace HybridBuild.Testing.Emulators;

/// <summary>
/// A storage emulator from npm (package.json beside this file: s3rver, Azurite) run as a child process on a loopback
/// port, with its data in a temporary directory. The packages are installed with <c>npm ci</c> on first use (one
/// install at a time across test processes); a machine without Node.js fails here saying so.
/// </summary>
public abstract class NodeEmulator : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private readonly Process _process;
    private readonly TempDirectory _data;

    protected NodeEmulator(Process process, TempDirectory data, int port)
    {
        _process = process;
        _data = data;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The settings a node is configured with to keep its blobs here.</summary>
    public abstract IReadOnlyDictionary<string, string?> Settings();

    /// <summary>The settings as the environment variables of a node's process (<c>Storage__Provider</c>).</summary>
    public (string Key, string Value)[] EnvironmentSettings() => Settings().Select(s => (s.Key.Replace(":", "__"), s.Value ?? "")).ToArray();

    /// <summary>Starts <paramref name="tool"/> (a command from node_modules/.bin) with the arguments <paramref name="arguments"/> builds from the port and data folder.</summary>
    protected static async Task<(Process Process, TempDirectory Data, int Port)> StartAsync(string tool, Func<int, string, IEnumerable<string>> arguments)
    {
        var bin = await InstallAsync();
        var data = new TempDirectory();
        var port = Ports.Free();
        var start = new ProcessStartInfo("node") { WorkingDirectory = data.Path, RedirectStandardOutput = false, RedirectStandardError = false };
        start.ArgumentList.Add(Path.Combine(bin, tool));
        foreach (var argument in arguments(port, data.Path)) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e)
        {
            data.Dispose();
            throw new InvalidOperationException($"These tests need Node.js (node on PATH) to run {tool}: {e.Message}", e);
        }
        try
        {
            await Ports.WaitListeningAsync(port, tool);
        }
        catch
        {
            Stop(process);
            data.Dispose();
            throw;
        }
        return (process, data, port);
    }

    /// <summary>Installs the emulators' packages unless they are there; returns the folder of their commands.</summary>
    private static async Task<string> InstallAsync()
    {
        var folder = FindPackageFolder();
        var bin = Path.Combine(folder, "node_modules", ".bin");
        await InstallGate.WaitAsync();
        try
        {
            // other test processes may install at the same time: an exclusive lock file serializes them
            await using var machineLock = await LockAsync(Path.Combine(folder, ".install.lock"));
            if (File.Exists(Path.Combine(folder, "node_modules", ".package-lock.json"))) return bin;
            var start = new ProcessStartInfo("npm") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" }) start.ArgumentList.Add(argument);
            Process npm;
            try
            {
                npm = Process.Start(start) ?? throw new InvalidOperationException("no process");
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"These tests need npm (Node.js) to install the storage emulators in {folder}: {e.Message}", e);
            }
            using (npm)
            {
                var output = npm.StandardOutput.ReadToEndAsync();
                var error = await npm.StandardError.ReadToEndAsync();
                await npm.WaitForExitAsync();
                if (npm.ExitCode != 0)
                    throw new InvalidOperationException($"npm ci in {folder} failed (exit {npm.ExitCode}), so the storage emulators are missing: {error}{await output}");
            }
            return bin;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 600)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>The source folder holding package.json, found by walking up from the test binaries to the repository.</summary>
    private static string FindPackageFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "HybridBuild.Testing", "Emulators");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new InvalidOperationException($"tests/HybridBuild.Testing/Emulators/package.json was not found above {AppContext.BaseDirectory}.");
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* already gone */ }
        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Stop(_process);
        _data.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>s3rver: an S3-compatible server; one bucket is made at start-up, and any well-formed signature with its keys is accepted.</summary>
public sealed class S3rverServer : NodeEmulator
{
    public const string Bucket = "hybridbuild";
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";

    private S3rverServer((Process Process, TempDirectory Data, int Port) started) : base(started.Process, started.Data, started.Port) { }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    public static async Task<S3rverServer> StartAsync() => new(await StartAsync("s3rver",
        (port, data) => ["--directory", data, "--address", "127.0.0.1", "--port", port.ToString(), "--silent", "--no-vhost-buckets", "--configure-bucket", Bucket]));

    public override IReadOnlyDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "S3", ["Storage:S3:ServiceUrl"] = ServiceUrl, ["Storage:S3:ForcePathStyle"] = "true",
        ["Storage:S3:Bucket"] = Bucket, ["Storage:S3:AccessKeyId"] = AccessKeyId, ["Storage:S3:SecretAccessKey"] = SecretAccessKey,
    };
}

/// <summary>Azurite's blob service with its well-known development account.</summary>
public sealed class AzuriteServer : NodeEmulator
{
    public const string Container = "hybridbuild";
    public const string Account = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private AzuriteServer((Process Process, TempDirectory Data, int Port) started) : base(started.Process, started.Data, started.Port) { }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/{Account};";

    public static async Task<AzuriteServer> StartAsync() => new(await StartAsync("azurite-blob",
        (port, data) => ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--location", data, "--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose"]));

    /// <summary>The container is created at start-up.</summary>
    public override IReadOnlyDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "Azure", ["Storage:Azure:ConnectionString"] = ConnectionString, ["Storage:Azure:Container"] = Container,
        ["Storage:Azure:CreateContainer"] = "true",
    };
}
