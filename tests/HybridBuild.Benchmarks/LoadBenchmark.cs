using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace HybridBuild.Benchmarks;

/// <summary>
/// Reads under submissions, load generator on the same machine: 100 clients (by default) reading build records and
/// build lists as fast as they are answered (or, with <c>--think MS</c>, each pausing that long between its requests,
/// as clients that poll a build do), while builds are submitted at 5 a second, for 30 s. As fast as answered, the clients
/// always keep 100 requests waiting, so a request's time is 100 over the node's rate (Little's law) on a saturated machine;
/// paced, it is the time of one request under the same submissions. Prints errors, requests past the client's 30 s timeout, and
/// p50/p99 for reads, lists and submissions (POST to 202), and the node's resident memory before, at the peak and
/// after. Each client has a key of its own (created first), so the key cache and the database both see realistic keys.
/// </summary>
internal static class LoadBenchmark
{
    private const string Dockerfile = "FROM busybox AS build\nARG nonce\nRUN echo $nonce > /n\nFROM scratch AS out\nCOPY --from=build /n /\n";

    public static async Task RunAsync(string[] args)
    {
        var server = Figures.PostgresServer(args);
        var api = Figures.ApiDll(args);
        var clients = int.Parse(Figures.Argument(args, "--clients") ?? "100");
        var rate = int.Parse(Figures.Argument(args, "--rate") ?? "5");
        var seconds = int.Parse(Figures.Argument(args, "--seconds") ?? "30");
        var think = TimeSpan.FromMilliseconds(int.Parse(Figures.Argument(args, "--think") ?? "0"));

        await using var node = await BenchNode.StartAsync(api, "load", await BenchNode.CreateDatabaseAsync(server), []);
        var seeded = new List<string>();
        for (var i = 0; i < 10; i++) seeded.Add(await node.SubmitAsync(Dockerfile, Guid.NewGuid().ToString("N")));
        foreach (var id in seeded) await node.WaitSucceededAsync(id, 100);
        var keys = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            using var created = await node.Http.PostAsJsonAsync("/api/v1/keys", new { name = $"load-{i}", scopes = new[] { "builds:read", "builds:write" } });
            created.EnsureSuccessStatusCode();
            keys.Add((string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!);
        }
        await Task.Delay(2000);
        var before = ProcessTreeMemory.Current(node.ProcessId);

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 20, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var reads = new Recorder();
        var lists = new Recorder();
        var submissions = new Recorder();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        using var sampling = new CancellationTokenSource();
        var peak = ProcessTreeMemory.SamplePeakAsync(node.ProcessId, sampling.Token);

        var readers = Enumerable.Range(0, clients).Select(async c =>
        {
            using var http = Client(handler, node, keys[c % keys.Count]);
            var random = new Random(c);
            while (!stop.IsCancellationRequested)
            {
                var list = random.Next(3) == 0;
                var url = list ? "/api/v1/builds?pageSize=20" : $"/api/v1/builds/{seeded[random.Next(seeded.Count)]}";
                await (list ? lists : reads).TimeAsync(() => http.GetAsync(url, stop.Token), stop.Token);
                if (think > TimeSpan.Zero) { try { await Task.Delay(think, stop.Token); } catch (OperationCanceledException) { } }
            }
        }).ToList();
        var submitter = Task.Run(async () =>
        {
            using var http = Client(handler, node, keys[0]);
            var pending = new List<Task>();
            var watch = Stopwatch.StartNew();
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var due = TimeSpan.FromSeconds((double)n / rate);
                if (due > watch.Elapsed) { try { await Task.Delay(due - watch.Elapsed, stop.Token); } catch (OperationCanceledException) { break; } }
                var spec = new
                {
                    source = new { inline = new { files = new Dictionary<string, string> { ["Dockerfile"] = Dockerfile } } },
                    stages = new[] { new { name = "out", target = "out", buildArgs = new Dictionary<string, string> { ["nonce"] = Guid.NewGuid().ToString("N") } } },
                };
                pending.Add(submissions.TimeAsync(() => http.PostAsJsonAsync("/api/v1/builds", spec), stop.Token, expect: 202));
            }
            await Task.WhenAll(pending);
        });
        await Task.WhenAll(readers.Append(submitter).Select(t => t.ContinueWith(_ => { })));
        await sampling.CancelAsync();
        var top = await peak;
        await Task.Delay(5000);
        var after = ProcessTreeMemory.Current(node.ProcessId);

        Console.WriteLine($"{clients} clients reading for {seconds} s ({(think > TimeSpan.Zero ? $"{think.TotalMilliseconds:F0} ms between a client's requests" : "each as fast as answered")}) while {rate} builds/s are submitted (load generator on this machine)");
        reads.Report("build record GET");
        lists.Report("build list GET");
        submissions.Report("submission POST");
        Console.WriteLine($"submissions: {submissions.Count / (double)seconds:F1}/s accepted of {rate}/s offered");
        Console.WriteLine($"resident memory: {before / 1048576.0:F0} MiB before, peak {top / 1048576.0:F0} MiB, {after / 1048576.0:F0} MiB 5 s after");
    }

    private static HttpClient Client(SocketsHttpHandler handler, BenchNode node, string key)
    {
        var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = node.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private sealed class Recorder
    {
        private readonly List<double> _milliseconds = [];
        private int _errors;
        private int _timeouts;

        public int Count { get { lock (_milliseconds) return _milliseconds.Count; } }

        /// <summary>Times one request; <paramref name="runEnded"/> tells a request cut by the end of the run from one that timed out.</summary>
        public async Task TimeAsync(Func<Task<HttpResponseMessage>> send, CancellationToken runEnded, int expect = 200)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                using var response = await send();
                await response.Content.ReadAsByteArrayAsync();
                if ((int)response.StatusCode != expect) Interlocked.Increment(ref _errors);
                else lock (_milliseconds) _milliseconds.Add(watch.Elapsed.TotalMilliseconds);
            }
            catch (OperationCanceledException) when (runEnded.IsCancellationRequested) { } // the run ended mid-request
            catch (OperationCanceledException) { Interlocked.Increment(ref _timeouts); } // past the client's timeout: no answer is a failure
            catch (HttpRequestException) { Interlocked.Increment(ref _errors); }
        }

        public void Report(string what)
        {
            lock (_milliseconds)
            {
                var sorted = _milliseconds.Order().ToList();
                double P(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
                Console.WriteLine($"{what,-18} {sorted.Count,7} ok, {_errors} errors, {_timeouts} timed out; p50 {P(0.50),6:F1} ms, p99 {P(0.99),6:F1} ms, max {(sorted.Count > 0 ? sorted[^1] : double.NaN),6:F0} ms");
            }
        }
    }
}
