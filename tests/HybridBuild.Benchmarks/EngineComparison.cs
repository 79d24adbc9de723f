using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Npgsql;

namespace HybridBuild.Benchmarks;

/// <summary>
/// The service with Engine:Provider=Native against Engine:Provider=Buildx. Both services run at once, each with its
/// own database, blob root and work directory, on the same BuildKit; runs alternate between them so neither gets a
/// warmer machine. Memory is the resident set of the service's whole process tree (buildx's CLI processes count for
/// the buildx engine), sampled every 20 ms while a build runs.
/// </summary>
internal static class EngineComparison
{
    private static string Dockerfile(int sizeMb) => $"""
        FROM busybox AS build
        ARG nonce
        RUN echo "$nonce" > /stamp && mkdir /out && for i in 1 2 3 4; do dd if=/dev/urandom of=/out/part$i bs=1M count={sizeMb / 4} 2>/dev/null; done
        FROM scratch AS out
        COPY --from=build /stamp /out/ /
        """;

    public static async Task RunAsync(string[] args)
    {
        var server = Argument(args, "--postgres") ?? Environment.GetEnvironmentVariable("HYBRIDBUILD_BENCH_POSTGRES")
            ?? throw new ArgumentException("--postgres <server connection string> (or HYBRIDBUILD_BENCH_POSTGRES) is required: each service gets a new database there.");
        var api = Path.GetFullPath(Argument(args, "--api") ?? "src/HybridBuild.Api/bin/Release/net10.0/HybridBuild.Api.dll");
        if (!File.Exists(api)) throw new FileNotFoundException($"Build the service first (dotnet build -c Release src/HybridBuild.Api): {api} is missing.");
        var runs = int.Parse(Argument(args, "--runs") ?? "3");
        var sizeMb = int.Parse(Argument(args, "--size-mb") ?? "200");

        await using var native = await ServiceProcess.StartAsync(api, "Native", server);
        await using var buildx = await ServiceProcess.StartAsync(api, "Buildx", server);
        var services = new[] { native, buildx };
        Console.WriteLine($"{runs} runs each; the build exports {sizeMb} MB in 5 files from busybox; both services on the same engine");

        var results = services.ToDictionary(s => s.Engine, _ => new Results());
        foreach (var service in services) await service.BuildAsync(Dockerfile(sizeMb), $"warm-up-{Guid.NewGuid():N}");
        for (var i = 0; i < runs; i++)
        {
            foreach (var service in i % 2 == 0 ? services : services.Reverse())
            {
                var nonce = Guid.NewGuid().ToString("N");
                results[service.Engine].Uncached.Add(await service.BuildAsync(Dockerfile(sizeMb), nonce));
                results[service.Engine].Cached.Add(await service.BuildAsync(Dockerfile(sizeMb), nonce));
            }
        }

        foreach (var (engine, result) in results)
        {
            Report($"{engine}: uncached POST -> succeeded", result.Uncached);
            Report($"{engine}: cached   POST -> succeeded", result.Cached);
        }
        Ratio("uncached", results["Native"].Uncached, results["Buildx"].Uncached);
        Ratio("cached", results["Native"].Cached, results["Buildx"].Cached);
    }

    private sealed class Results
    {
        public List<Sample> Uncached { get; } = [];
        public List<Sample> Cached { get; } = [];
    }

    internal sealed record Sample(double Milliseconds, long PeakBytes);

    private static void Report(string what, List<Sample> samples) =>
        Console.WriteLine($"{what,-38} median {Median(samples.Select(s => s.Milliseconds)),7:F0} ms  (min {samples.Min(s => s.Milliseconds),6:F0}, max {samples.Max(s => s.Milliseconds),6:F0})   peak memory {samples.Max(s => s.PeakBytes) / 1048576.0,6:F0} MiB");

    private static void Ratio(string what, List<Sample> native, List<Sample> buildx) =>
        Console.WriteLine($"native / buildx, {what}: time {Median(native.Select(s => s.Milliseconds)) / Median(buildx.Select(s => s.Milliseconds)):F2}, peak memory {(double)native.Max(s => s.PeakBytes) / buildx.Max(s => s.PeakBytes):F2}");

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string? Argument(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static readonly string AdminKey = "bench-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    /// <summary>One service node (API and worker) in its own process, database and directories.</summary>
    private sealed class ServiceProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http;
        private readonly string _scratch;

        public string Engine { get; }

        private ServiceProcess(string engine, Process process, HttpClient http, string scratch) =>
            (Engine, _process, _http, _scratch) = (engine, process, http, scratch);

        public static async Task<ServiceProcess> StartAsync(string api, string engine, string server)
        {
            var database = $"hybridbuild_bench_{engine.ToLowerInvariant()}_{Guid.NewGuid():N}";
            await using (var connection = new NpgsqlConnection(server))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
                await create.ExecuteNonQueryAsync();
            }
            var scratch = Directory.CreateTempSubdirectory($"hybridbuild-bench-{engine.ToLowerInvariant()}-").FullName;
            var port = FreePort();
            var start = new ProcessStartInfo("dotnet") { ArgumentList = { api }, WorkingDirectory = Path.GetDirectoryName(api)!, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["ConnectionStrings__Postgres"] = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
            start.Environment["Engine__Provider"] = engine;
            start.Environment["Storage__FileSystem__Root"] = Path.Combine(scratch, "blobs");
            start.Environment["Worker__WorkDirectory"] = Path.Combine(scratch, "work");
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Auth__AdminKey"] = AdminKey;
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{engine}] {e.Data}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (true)
            {
                if (process.HasExited) throw new InvalidOperationException($"The {engine} service exited with code {process.ExitCode}.");
                try
                {
                    if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) { }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"The {engine} service did not become ready within a minute.");
                await Task.Delay(200);
            }
            return new ServiceProcess(engine, process, http, scratch);
        }

        public async Task<Sample> BuildAsync(string dockerfile, string nonce)
        {
            using var sampling = new CancellationTokenSource();
            var memory = ProcessTreeMemory.SamplePeakAsync(_process.Id, sampling.Token);
            var spec = new
            {
                source = new { inline = new { files = new Dictionary<string, string> { ["Dockerfile"] = dockerfile } } },
                stages = new[] { new { name = "out", target = "out", buildArgs = new Dictionary<string, string> { ["nonce"] = nonce } } },
            };
            var watch = Stopwatch.StartNew();
            using var response = await _http.PostAsJsonAsync("/api/v1/builds", spec);
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
            while (true)
            {
                var build = (await _http.GetFromJsonAsync<JsonObject>($"/api/v1/builds/{id}"))!;
                var status = build["status"]!.GetValue<string>();
                if (status is "succeeded") break;
                if (status is "failed" or "cancelled") throw new InvalidOperationException($"{Engine}: build {id} {status}: {build["stages"]![0]!["error"]}");
                await Task.Delay(10);
            }
            var elapsed = watch.Elapsed.TotalMilliseconds;
            await sampling.CancelAsync();
            return new Sample(elapsed, await memory);
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
            try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
