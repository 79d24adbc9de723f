namespace HybridBuild.Benchmarks;

/// <summary>Arguments and the figures the benchmarks print.</summary>
internal static class Figures
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static string? Argument(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    /// <summary>The service's build output (Release), or a message saying how to make it.</summary>
    public static string ApiDll(string[] args)
    {
        var api = Path.GetFullPath(Argument(args, "--api") ?? "src/HybridBuild.Api/bin/Release/net10.0/HybridBuild.Api.dll");
        if (!File.Exists(api)) throw new FileNotFoundException($"Build the service first (dotnet build -c Release src/HybridBuild.Api): {api} is missing.");
        return api;
    }

    public static string PostgresServer(string[] args) =>
        Argument(args, "--postgres") ?? Environment.GetEnvironmentVariable("HYBRIDBUILD_BENCH_POSTGRES")
        ?? throw new ArgumentException("--postgres <server connection string> (or HYBRIDBUILD_BENCH_POSTGRES) is required: each run gets new databases there.");
}

internal sealed record Sample(double Milliseconds, long PeakBytes);
