using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Npgsql;

namespace HybridBuild.Benchmarks;

/// <summary>One service node in its own process and directories, configured by environment settings (roles, engine, builders, storage).</summary>
internal sealed class BenchNode : IAsyncDisposable
{
    public static readonly string AdminKey = "bench-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
    private readonly Process _process;
    private readonly string _scratch;

    private BenchNode(string name, Process process, HttpClient http, string scratch) => (Name, _process, Http, _scratch) = (name, process, http, scratch);

    public string Name { get; }
    public HttpClient Http { get; }
    public int ProcessId => _process.Id;
    public string BlobRoot => Path.Combine(_scratch, "blobs");

    /// <summary>A new database on the server; nodes given the same one share it.</summary>
    public static async Task<string> CreateDatabaseAsync(string server)
    {
        var database = $"hybridbuild_bench_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
    }

    /// <param name="blobRoot">Shared by nodes that share a file-system store; a folder of its own otherwise.</param>
    public static async Task<BenchNode> StartAsync(string api, string name, string database, Dictionary<string, string> settings, string? blobRoot = null)
    {
        var scratch = Directory.CreateTempSubdirectory($"hybridbuild-bench-{name.ToLowerInvariant()}-").FullName;
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { api }, WorkingDirectory = Path.GetDirectoryName(api)!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Postgres"] = database;
        start.Environment["Storage__FileSystem__Root"] = blobRoot ?? Path.Combine(scratch, "blobs");
        start.Environment["Worker__WorkDirectory"] = Path.Combine(scratch, "work");
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Auth__AdminKey"] = AdminKey;
        foreach (var (key, value) in settings) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{name}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"The {name} node exited with code {process.ExitCode}.");
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The {name} node did not become ready within a minute.");
            await Task.Delay(200);
        }
        return new BenchNode(name, process, http, scratch);
    }

    /// <summary>Submits a one-stage build of <paramref name="dockerfile"/> (target "out"); returns its id.</summary>
    public async Task<string> SubmitAsync(string dockerfile, string nonce)
    {
        var spec = new
        {
            source = new { inline = new { files = new Dictionary<string, string> { ["Dockerfile"] = dockerfile } } },
            stages = new[] { new { name = "out", target = "out", buildArgs = new Dictionary<string, string> { ["nonce"] = nonce } } },
        };
        using var response = await Http.PostAsJsonAsync("/api/v1/builds", spec);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    /// <summary>Waits for the build to succeed; returns its record (fails on any other end).</summary>
    public async Task<JsonObject> WaitSucceededAsync(string id, int pollMilliseconds = 10)
    {
        while (true)
        {
            var build = (await Http.GetFromJsonAsync<JsonObject>($"/api/v1/builds/{id}"))!;
            var status = build["status"]!.GetValue<string>();
            if (status is "succeeded") return build;
            if (status is "failed" or "cancelled") throw new InvalidOperationException($"{Name}: build {id} {status}: {build["stages"]![0]!["error"]}");
            await Task.Delay(pollMilliseconds);
        }
    }

    /// <summary>Builds once, measuring POST to succeeded and the peak memory of the node's process tree.</summary>
    public async Task<Sample> BuildAsync(string dockerfile, string nonce)
    {
        using var sampling = new CancellationTokenSource();
        var memory = ProcessTreeMemory.SamplePeakAsync(_process.Id, sampling.Token);
        var watch = Stopwatch.StartNew();
        await WaitSucceededAsync(await SubmitAsync(dockerfile, nonce));
        var elapsed = watch.Elapsed.TotalMilliseconds;
        await sampling.CancelAsync();
        return new Sample(elapsed, await memory);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
