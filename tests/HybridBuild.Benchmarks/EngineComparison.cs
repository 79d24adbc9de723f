
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
        var server = Figures.PostgresServer(args);
        var api = Figures.ApiDll(args);
        var runs = int.Parse(Argument(args, "--runs") ?? "3");
        var sizeMb = int.Parse(Argument(args, "--size-mb") ?? "200");

        await using var native = await BenchNode.StartAsync(api, "Native", await BenchNode.CreateDatabaseAsync(server), new() { ["Engine__Provider"] = "Native" });
        await using var buildx = await BenchNode.StartAsync(api, "Buildx", await BenchNode.CreateDatabaseAsync(server), new() { ["Engine__Provider"] = "Buildx" });
        var services = new[] { native, buildx };
        Console.WriteLine($"{runs} runs each; the build exports {sizeMb} MB in 5 files from busybox; both services on the same engine");

        var results = services.ToDictionary(s => s.Name, _ => new Results());
        foreach (var service in services) await service.BuildAsync(Dockerfile(sizeMb), $"warm-up-{Guid.NewGuid():N}");
        for (var i = 0; i < runs; i++)
        {
            foreach (var service in i % 2 == 0 ? services : services.Reverse())
            {
                var nonce = Guid.NewGuid().ToString("N");
                results[service.Name].Uncached.Add(await service.BuildAsync(Dockerfile(sizeMb), nonce));
                results[service.Name].Cached.Add(await service.BuildAsync(Dockerfile(sizeMb), nonce));
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

    private static void Report(string what, List<Sample> samples) =>
        Console.WriteLine($"{what,-38} median {Median(samples.Select(s => s.Milliseconds)),7:F0} ms  (min {samples.Min(s => s.Milliseconds),6:F0}, max {samples.Max(s => s.Milliseconds),6:F0})   peak memory {samples.Max(s => s.PeakBytes) / 1048576.0,6:F0} MiB");

    private static void Ratio(string what, List<Sample> native, List<Sample> buildx) =>
        Console.WriteLine($"native / buildx, {what}: time {Median(native.Select(s => s.Milliseconds)) / Median(buildx.Select(s => s.Milliseconds)):F2}, peak memory {(double)native.Max(s => s.PeakBytes) / buildx.Max(s => s.PeakBytes):F2}");

    private static double Median(IEnumerable<double> values) => Figures.Median(values);

    private static string? Argument(string[] args, string name) => Figures.Argument(args, name);
}
