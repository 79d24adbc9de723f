using System.Diagnostics;

namespace HybridBuild.Benchmarks;

/// <summary>
/// Throughput of queued builds (a .NET publish each) on one worker node with one engine against two worker nodes with
/// two engines, one after the other in one run. Each layout has an API-only node that takes the builds, worker-only nodes
/// with Worker:Concurrency solves each (1 by default), its own database and a blob root its nodes share.
/// </summary>
internal static class ScaleComparison
{
    private const string Dockerfile = """
        FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
        ARG nonce
        WORKDIR /src
        RUN dotnet new console -o app --force >/dev/null && echo "// $nonce" >> app/Program.cs \
            && dotnet publish app -c Release -o /out --nologo -v q
        FROM scratch AS out
        COPY --from=build /out/ /
        """;

    public static async Task RunAsync(string[] args)
    {
        var server = Figures.PostgresServer(args);
        var api = Figures.ApiDll(args);
        var builds = int.Parse(Figures.Argument(args, "--builds") ?? "20");
        var concurrency = Figures.Argument(args, "--concurrency") ?? "1";
        var engines = (Figures.Argument(args, "--engines") ?? "/var/run/docker.sock,/var/run/docker-2.sock").Split(',');
        if (engines.Length < 2) throw new ArgumentException("--engines needs two unix socket paths (two Docker engines), comma-separated.");

        Console.WriteLine($"{builds} queued builds (dotnet new console + dotnet publish each), Worker:Concurrency {concurrency} per worker node");
        var one = await RunLayoutAsync(api, server, builds, concurrency, engines[..1]);
        var two = await RunLayoutAsync(api, server, builds, concurrency, engines[..2]);
        Console.WriteLine($"1 worker + 1 engine:   {one.TotalSeconds,7:F1} s, {builds / one.TotalMinutes,5:F2} builds/min");
        Console.WriteLine($"2 workers + 2 engines: {two.TotalSeconds,7:F1} s, {builds / two.TotalMinutes,5:F2} builds/min");
        Console.WriteLine($"throughput ratio (2 / 1): {one / two:F2}");
    }

    private static async Task<TimeSpan> RunLayoutAsync(string api, string server, int builds, string concurrency, string[] engines)
    {
        var database = await BenchNode.CreateDatabaseAsync(server);
        var blobs = Directory.CreateTempSubdirectory("hybridbuild-bench-scale-").FullName;
        await using var apiNode = await BenchNode.StartAsync(api, "api", database, new() { ["Worker__Enabled"] = "false" }, blobs);
        var workers = new List<BenchNode>();
        try
        {
            for (var i = 0; i < engines.Length; i++)
                workers.Add(await BenchNode.StartAsync(api, $"worker{i + 1}", database, new()
                {
                    ["Api__Enabled"] = "false", ["Worker__Concurrency"] = concurrency,
                    ["Engine__Builders__0__Name"] = $"engine-{i + 1}", ["Engine__Builders__0__Address"] = $"docker+unix://{engines[i]}",
                    ["Engine__Builders__0__MaxSolves"] = concurrency,
                }, blobs));
            // one build per engine first, so that neither layout pays for a cold engine
            foreach (var warm in await Task.WhenAll(workers.Select(_ => apiNode.SubmitAsync(Dockerfile, $"warm-{Guid.NewGuid():N}"))))
                await apiNode.WaitSucceededAsync(warm, 500);

            var watch = Stopwatch.StartNew();
            var ids = new List<string>();
            for (var i = 0; i < builds; i++) ids.Add(await apiNode.SubmitAsync(Dockerfile, Guid.NewGuid().ToString("N")));
            var ran = new Dictionary<string, int>();
            foreach (var id in ids)
            {
                var build = await apiNode.WaitSucceededAsync(id, 500);
                var builder = (string?)build["stages"]![0]!["builder"] ?? "?";
                ran[builder] = ran.GetValueOrDefault(builder) + 1;
            }
            var elapsed = watch.Elapsed;
            Console.WriteLine($"  {engines.Length} worker(s): {elapsed.TotalSeconds:F1} s; stages per builder: {string.Join(", ", ran.OrderBy(r => r.Key).Select(r => $"{r.Key} {r.Value}"))}");
            return elapsed;
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync();
            try { Directory.Delete(blobs, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
