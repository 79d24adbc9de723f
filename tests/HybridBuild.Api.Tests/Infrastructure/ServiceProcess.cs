namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// The service as its own process, the way a node runs it: <c>dotnet HybridBuild.Api.dll</c> from the test's output,
/// configured through its environment, on a loopback port of its own. Disposing kills it with its whole process tree,
/// so a failing test leaves no node behind.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    /// <summary>The secrets master key of every node the tests start: nodes sharing a database must share it.</summary>
    public static readonly string MasterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>
    /// Starts a node on <paramref name="database"/> whose blobs live under <paramref name="shared"/>; nodes of one
    /// <paramref name="name"/> share a work directory, as a node restarted on the same machine does.
    /// </summary>
    public static ServiceProcess Start(string name, string database, string shared, params (string Key, string Value)[] settings)
    {
        var port = Ports.Free();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "HybridBuild.Api.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
            Environment =
            {
                // DOCKER_HOST and the rest of the test's environment are inherited
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ConnectionStrings__Postgres"] = database,
                ["Storage__FileSystem__Root"] = Path.Combine(shared, "blobs"),
                ["Worker__WorkDirectory"] = Path.Combine(shared, $"work-{name}"),
                ["Outputs__AllowedTagPrefixes__0"] = "localhost:",
                ["Logging__LogLevel__Default"] = "Information",
                ["Auth__AdminKey"] = ServiceFixture.AdminKey,
                ["Secrets__MasterKey"] = MasterKey,
            },
        };
        foreach (var (key, value) in settings) start.Environment[key] = value;
        var node = new ServiceProcess(Process.Start(start)!, port);
        node._process.OutputDataReceived += (_, e) => node.Append(e.Data);
        node._process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        return node;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>A client for this node that sends the admin key.</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServiceFixture.AdminKey);
        return client;
    }

    /// <summary>Waits until /health/ready answers 200; returns when it did. Fails with the node's output if it exits or never gets there.</summary>
    public async Task<DateTimeOffset> WaitReadyAsync(TimeSpan? timeout = null)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromMinutes(1));
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (_process.HasExited) Assert.Fail($"the node on port {Port} exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await client.GetAsync(new Uri(BaseAddress, "/health/ready"));
                if (response.IsSuccessStatusCode) return DateTimeOffset.UtcNow;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail($"the node on port {Port} never became ready:\n{Output}");
        return default;
    }

    /// <summary>SIGKILL, as the kernel's OOM killer or a pulled plug would: no shutdown hooks run.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it exited between the check and the kill
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            _process.Dispose();
        }
    }
}
