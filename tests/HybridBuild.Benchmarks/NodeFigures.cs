using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace HybridBuild.Benchmarks;

/// <summary>
/// Two figures of a node at rest and between nodes, side by side in one run.
/// <para><c>handoff</c>: POST accepted → stage running (server clocks: the build's createdAt to its stage's startedAt), one
/// build at a time, on a node that both accepts and runs builds against an API-only node whose builds a worker-only node
/// takes from the shared queue.</para>
/// <para><c>idle</c>: the node's resident memory (anonymous and file-backed) after a run of builds and a burst of hostile
/// requests, sampled once the node has been idle, with the idle trim on and off (Runtime:TrimWhenIdle); and, trim on,
/// its peak while a 1000 MiB context (an uncompressed tar of one file) uploads.</para>
/// </summary>
internal static class NodeFigures
{
    private const string Dockerfile = "FROM busybox AS build\nARG nonce\nRUN echo $nonce > /n\nFROM scratch AS out\nCOPY --from=build /n /\n";

    public static async Task HandoffAsync(string[] args)
    {
        var server = Figures.PostgresServer(args);
        var api = Figures.ApiDll(args);
        var runs = int.Parse(Figures.Argument(args, "--runs") ?? "15");
        var together = new List<double>();
        var apart = new List<double>();

        await using (var node = await BenchNode.StartAsync(api, "combined", await BenchNode.CreateDatabaseAsync(server), []))
            await SampleAsync(node, runs, together);

        var database = await BenchNode.CreateDatabaseAsync(server);
        var blobs = Directory.CreateTempSubdirectory("hybridbuild-bench-handoff-").FullName;
        await using (var apiNode = await BenchNode.StartAsync(api, "api", database, new() { ["Worker__Enabled"] = "false" }, blobs))
        await using (await BenchNode.StartAsync(api, "worker", database, new() { ["Api__Enabled"] = "false" }, blobs))
            await SampleAsync(apiNode, runs, apart);

        Console.WriteLine($"POST accepted -> stage running (server clocks), {runs} builds one at a time after 2 warm-ups");
        Console.WriteLine($"  same node (API + worker):       median {Figures.Median(together),5:F0} ms, min {together.Min(),4:F0}, max {together.Max(),5:F0}");
        Console.WriteLine($"  API node -> worker node:        median {Figures.Median(apart),5:F0} ms, min {apart.Min(),4:F0}, max {apart.Max(),5:F0}");
        try { Directory.Delete(blobs, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static async Task SampleAsync(BenchNode node, int runs, List<double> into)
    {
        for (var i = 0; i < runs + 2; i++)
        {
            var build = await node.WaitSucceededAsync(await node.SubmitAsync(Dockerfile, Guid.NewGuid().ToString("N")));
            var running = (build["stages"]![0]!["startedAt"]!.GetValue<DateTimeOffset>() - build["createdAt"]!.GetValue<DateTimeOffset>()).TotalMilliseconds;
            if (i >= 2) into.Add(running);
            await Task.Delay(300); // a queue at rest between builds, as a single CI job sees it
        }
    }

    public static async Task IdleAsync(string[] args)
    {
        var server = Figures.PostgresServer(args);
        var api = Figures.ApiDll(args);
        var builds = int.Parse(Figures.Argument(args, "--builds") ?? "20");
        Console.WriteLine($"resident memory after {builds} builds and a burst of hostile requests, then 30 s idle");
        foreach (var trim in new[] { false, true })
        {
            await using var node = await BenchNode.StartAsync(api, trim ? "trim" : "notrim", await BenchNode.CreateDatabaseAsync(server),
                new() { ["Runtime__TrimWhenIdle"] = trim ? "true" : "false" });
            await Task.Delay(5000);
            var start = ProcessTreeMemory.Split(node.ProcessId);
            var ids = new List<string>();
            for (var i = 0; i < builds; i++) ids.Add(await node.SubmitAsync(Dockerfile, Guid.NewGuid().ToString("N")));
            foreach (var id in ids) await node.WaitSucceededAsync(id, 200);
            await HostileBurstAsync(node);
            var busy = ProcessTreeMemory.Split(node.ProcessId);
            await Task.Delay(30_000);
            var idle = ProcessTreeMemory.Split(node.ProcessId);
            Console.WriteLine($"  idle trim {(trim ? "on " : "off")}: at start {start}; after the work {busy}; idle {idle}");
            if (!trim) continue;
            using var sampling = new CancellationTokenSource();
            var peak = ProcessTreeMemory.SamplePeakAsync(node.ProcessId, sampling.Token);
            var uploaded = await UploadAsync(node, 1000);
            await sampling.CancelAsync();
            Console.WriteLine($"  a 1000 MiB context upload ({uploaded}): peak {await peak / 1048576.0:F0} MiB, +{(await peak - idle.Total) / 1048576.0:F0} MiB over idle");
        }
    }

    /// <summary>POSTs a build whose context is a tar of one file of <paramref name="mebibytes"/>, written to a temporary file first; returns the answer's status.</summary>
    private static async Task<string> UploadAsync(BenchNode node, int mebibytes)
    {
        var tar = Path.Combine(Path.GetTempPath(), $"hybridbuild-bench-context-{mebibytes}.tar");
        if (!File.Exists(tar))
        {
            await using var file = File.Create(tar + ".partial");
            await using (var writer = new System.Formats.Tar.TarWriter(file, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
            {
                var dockerfile = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "Dockerfile")
                    { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("FROM busybox\nRUN true\n")) };
                await writer.WriteEntryAsync(dockerfile);
                var data = Path.Combine(Path.GetTempPath(), $"hybridbuild-bench-data-{mebibytes}");
                await using (var content = File.Create(data))
                {
                    var block = new byte[1 << 20];
                    for (var i = 0; i < mebibytes; i++) { Random.Shared.NextBytes(block); await content.WriteAsync(block); }
                }
                await writer.WriteEntryAsync(data, "data.bin");
                File.Delete(data);
            }
            file.Close();
            File.Move(tar + ".partial", tar);
        }
        var spec = new { stages = new[] { new { name = "big" } } };
        using var form = new MultipartFormDataContent
        {
            { new StringContent(System.Text.Json.JsonSerializer.Serialize(spec), Encoding.UTF8, "application/json"), "spec" },
            { new StreamContent(File.OpenRead(tar), 1 << 20), "context", "context.tar" },
        };
        using var response = await node.Http.PostAsync("/api/v1/builds", form);
        return $"{(int)response.StatusCode}";
    }

    /// <summary>Requests a client should never send, many at once: oversized and malformed JSON bodies, deep nesting, unknown routes.</summary>
    private static async Task HostileBurstAsync(BenchNode node)
    {
        var big = "{\"stages\":[" + string.Join(',', Enumerable.Repeat("{\"name\":\"" + new string('x', 4000) + "\"}", 200)) + "]}";
        var deep = new string('[', 5000) + new string(']', 5000);
        var bodies = new[] { big, deep, "{\"stages\":", "{\"source\":{\"inline\":{\"files\":{\"Dockerfile\":1}}}}" };
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, 2000).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                using var content = new StringContent(bodies[i % bodies.Length], Encoding.UTF8, "application/json");
                using var response = i % 5 == 4
                    ? await node.Http.GetAsync($"/api/v1/builds/{new string('z', 2000)}")
                    : await node.Http.PostAsync("/api/v1/builds", content);
                await response.Content.ReadAsByteArrayAsync();
            }
            catch (HttpRequestException) { }
            finally { gate.Release(); }
        }));
    }
}
