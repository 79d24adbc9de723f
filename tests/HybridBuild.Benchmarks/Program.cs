// Seven benchmarks.
//
// engines: the service with the native BuildKit engine against the service with the buildx engine, side by side
// on the same BuildKit: POST-to-succeeded and the peak memory of the service's process tree, for a build that
// exports about 200 MB and for a fully cached one. It starts both services itself (see EngineComparison.cs).
//
//   dotnet build -c Release src/HybridBuild.Api
//   dotnet run -c Release --project tests/HybridBuild.Benchmarks -- engines --postgres "Host=...;Username=...;Password=..." [--runs 3] [--size-mb 200]
//
// download: a 1 GiB artifact downloaded from the service's file-system store against nginx serving the same blob
// file, side by side, and the service's resident memory idle and while it serves (needs nginx on PATH or --nginx).
//
//   dotnet run -c Release --project tests/HybridBuild.Benchmarks -- download --postgres "..." [--runs 5] [--size-mb 1024]
//
// scale: queued builds (a .NET publish each) on 1 worker node + 1 engine against 2 worker nodes + 2 engines.
//
//   dotnet run -c Release --project tests/HybridBuild.Benchmarks -- scale --postgres "..." [--builds 20] [--concurrency 1]
//       [--engines /var/run/docker.sock,/var/run/docker-2.sock]
//
// load: 100 clients reading build records and lists while 5 builds a second are submitted, for 30 s: errors,
// p50/p99 per kind, and the node's resident memory before, at the peak and after.
//
//   dotnet run -c Release --project tests/HybridBuild.Benchmarks -- load --postgres "..." [--clients 100] [--rate 5] [--seconds 30] [--think 0]
//
// handoff: POST accepted -> stage running on a node that accepts and runs builds against an API-only node and a worker
// node; idle: resident memory after builds and a hostile burst, idle, with the idle trim on and off (see NodeFigures.cs).
//
//   dotnet run -c Release --project tests/HybridBuild.Benchmarks -- handoff|idle --postgres "..." [--runs 15] [--builds 20]
//
// service (the default): the running service against a direct `docker buildx build` of the same Dockerfile on
// the same engine: POST-to-succeeded against the CLI's wall time, uncached and fully cached, and POST-to-running.
//
//   dotnet run -c Release --project tests/HybridBuild.Benchmarks -- [--service http://localhost:8080] [--api-key KEY] [--runs 5] [--docker docker]
//
// The service must be running (docker compose up, or dotnet run --project src/HybridBuild.Api) and build on
// the engine that the docker CLI here talks to.
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HybridBuild.Benchmarks;

switch (args.FirstOrDefault())
{
    case "engines":
        await EngineComparison.RunAsync(args);
        return;
    case "download":
        await DownloadComparison.RunAsync(args);
        return;
    case "scale":
        await ScaleComparison.RunAsync(args);
        return;
    case "load":
        await LoadBenchmark.RunAsync(args);
        return;
    case "handoff":
        await NodeFigures.HandoffAsync(args);
        return;
    case "idle":
        await NodeFigures.IdleAsync(args);
        return;
}

var service = Argument("--service") ?? "http://localhost:8080";
var runs = int.Parse(Argument("--runs") ?? "5");
var docker = Argument("--docker") ?? "docker";

const string Dockerfile = """
    FROM busybox AS build
    ARG nonce
    RUN echo "$nonce" > /stamp && dd if=/dev/urandom of=/blob bs=1M count=32 2>/dev/null && sha256sum /blob > /blob.sha256
    FROM scratch AS out
    COPY --from=build /stamp /blob /blob.sha256 /
    """;

using var http = new HttpClient { BaseAddress = new Uri(service), Timeout = TimeSpan.FromMinutes(10) };
// a key with builds:read and builds:write (or the admin key); HYBRIDBUILD_API_KEY works too
if ((Argument("--api-key") ?? Environment.GetEnvironmentVariable("HYBRIDBUILD_API_KEY")) is { Length: > 0 } apiKey)
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
var context = Directory.CreateTempSubdirectory("hybridbuild-bench-").FullName;
await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), Dockerfile);

try
{
    Console.WriteLine($"service {service}, {runs} runs each, Dockerfile exports 3 files (32 MiB) from busybox");
    var uncachedDirect = new List<double>();
    var uncachedService = new List<double>();
    var cachedDirect = new List<double>();
    var cachedService = new List<double>();
    var toRunningClient = new List<double>();
    var toRunningServer = new List<double>();

    await DirectAsync("warm-up");
    await ServiceAsync("warm-up");
    for (var i = 0; i < runs; i++)
    {
        var a = Guid.NewGuid().ToString("N");
        var b = Guid.NewGuid().ToString("N");
        uncachedDirect.Add(await DirectAsync(a));
        cachedDirect.Add(await DirectAsync(a));
        var (total, running, serverRunning) = await ServiceAsync(b);
        uncachedService.Add(total);
        toRunningClient.Add(running);
        toRunningServer.Add(serverRunning);
        cachedService.Add((await ServiceAsync(b)).Total);
    }

    Report("uncached: docker buildx build (direct)", uncachedDirect);
    Report("uncached: service POST -> succeeded", uncachedService);
    Report("cached:   docker buildx build (direct)", cachedDirect);
    Report("cached:   service POST -> succeeded", cachedService);
    Report("service POST -> stage running (client, 10 ms polls)", toRunningClient);
    Report("service createdAt -> stage startedAt (server clocks)", toRunningServer);
    Console.WriteLine($"overhead uncached (median): {Median(uncachedService) - Median(uncachedDirect):F0} ms; cached: {Median(cachedService) - Median(cachedDirect):F0} ms");
}
finally
{
    Directory.Delete(context, recursive: true);
}

async Task<double> DirectAsync(string nonce)
{
    var output = Directory.CreateTempSubdirectory("hybridbuild-bench-out-").FullName;
    try
    {
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo(docker) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "buildx", "build", "--progress=quiet", "--target", "out", "--build-arg", $"nonce={nonce}",
                     "--provenance=false", "--output", $"type=local,dest={output}", context })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"docker buildx build failed: {await error}");
        return watch.Elapsed.TotalMilliseconds;
    }
    finally
    {
        Directory.Delete(output, recursive: true);
    }
}

async Task<(double Total, double Running, double ServerRunning)> ServiceAsync(string nonce)
{
    var spec = new
    {
        source = new { inline = new { files = new Dictionary<string, string> { ["Dockerfile"] = Dockerfile } } },
        stages = new[] { new { name = "out", target = "out", buildArgs = new Dictionary<string, string> { ["nonce"] = nonce } } },
    };
    var watch = Stopwatch.StartNew();
    using var response = await http.PostAsJsonAsync("/api/v1/builds", spec);
    response.EnsureSuccessStatusCode();
    var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    double running = 0;
    while (true)
    {
        var build = (await http.GetFromJsonAsync<JsonObject>($"/api/v1/builds/{id}"))!;
        var stage = build["stages"]![0]!;
        if (running == 0 && stage["status"]!.GetValue<string>() != "queued") running = watch.Elapsed.TotalMilliseconds;
        var status = build["status"]!.GetValue<string>();
        if (status is "succeeded")
        {
            var total = watch.Elapsed.TotalMilliseconds;
            var serverRunning = (stage["startedAt"]!.GetValue<DateTimeOffset>() - build["createdAt"]!.GetValue<DateTimeOffset>()).TotalMilliseconds;
            return (total, running, serverRunning);
        }
        if (status is "failed" or "cancelled") throw new InvalidOperationException($"build {id} {status}: {stage["error"]}");
        await Task.Delay(10);
    }
}

static void Report(string what, List<double> samples) =>
    Console.WriteLine($"{what,-55} median {Median(samples),7:F0} ms   min {samples.Min(),7:F0}   max {samples.Max(),7:F0}");

static double Median(List<double> samples)
{
    var sorted = samples.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
