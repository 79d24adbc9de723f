using System.Diagnostics;
using System.Text.Json.Nodes;

namespace HybridBuild.Benchmarks;

/// <summary>
/// Downloading one large artifact (1 GiB by default) from the service's file-system store against nginx serving the
/// very same blob file from the same disk, side by side: runs alternate, one client in this process reads both into
/// nothing with the same buffer. It also samples the service's resident memory while idle and during its downloads.
/// </summary>
internal static class DownloadComparison
{
    public static async Task RunAsync(string[] args)
    {
        var server = Figures.PostgresServer(args);
        var api = Figures.ApiDll(args);
        var runs = int.Parse(Figures.Argument(args, "--runs") ?? "5");
        var sizeMb = int.Parse(Figures.Argument(args, "--size-mb") ?? "1024");
        var nginx = Figures.Argument(args, "--nginx") ?? "nginx";

        await using var node = await BenchNode.StartAsync(api, "download", await BenchNode.CreateDatabaseAsync(server), []);
        var dockerfile = $"FROM busybox AS build\nARG nonce\nRUN mkdir /out && echo $nonce > /out/nonce && dd if=/dev/urandom of=/out/big.bin bs=1M count={sizeMb} 2>/dev/null\n"
            + "FROM scratch AS out\nCOPY --from=build /out/ /\n";
        Console.WriteLine($"building a {sizeMb} MiB artifact...");
        var build = await node.WaitSucceededAsync(await node.SubmitAsync(dockerfile, Guid.NewGuid().ToString("N")), 200);
        var artifact = build["stages"]![0]!["artifacts"]!.AsArray().Single(a => (string)a!["path"]! == "big.bin")!;
        var href = (string)artifact["href"]!;
        var sha = (string)artifact["sha256"]!;
        var blob = Path.Combine(node.BlobRoot, "artifacts", "sha256", sha[..2], sha);
        if (!File.Exists(blob)) throw new FileNotFoundException($"The artifact's blob is not where the file-system store keeps it: {blob}");

        await using var web = await Nginx.StartAsync(nginx, node.BlobRoot);
        var nginxUrl = new Uri($"http://127.0.0.1:{web.Port}/artifacts/sha256/{sha[..2]}/{sha}");
        using var plain = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };

        await Task.Delay(2000); // settle after the build before the idle sample
        var idle = ProcessTreeMemory.Current(node.ProcessId);
        var service = new List<double>();
        var reference = new List<double>();
        await ReadAsync(node.Http, new Uri(node.Http.BaseAddress!, href), sizeMb); // warm-up, both
        await ReadAsync(plain, nginxUrl, sizeMb);
        using var sampling = new CancellationTokenSource();
        var peak = ProcessTreeMemory.SamplePeakAsync(node.ProcessId, sampling.Token);
        for (var i = 0; i < runs; i++)
        {
            if (i % 2 == 0)
            {
                service.Add(await ReadAsync(node.Http, new Uri(node.Http.BaseAddress!, href), sizeMb));
                reference.Add(await ReadAsync(plain, nginxUrl, sizeMb));
            }
            else
            {
                reference.Add(await ReadAsync(plain, nginxUrl, sizeMb));
                service.Add(await ReadAsync(node.Http, new Uri(node.Http.BaseAddress!, href), sizeMb));
            }
        }
        await sampling.CancelAsync();
        var during = await peak;

        Console.WriteLine($"{runs} downloads each of a {sizeMb} MiB artifact over loopback");
        Console.WriteLine($"service (file-system store)  median {Figures.Median(service),7:F0} MiB/s  (min {service.Min(),6:F0}, max {service.Max(),6:F0})");
        Console.WriteLine($"nginx (same file, sendfile)  median {Figures.Median(reference),7:F0} MiB/s  (min {reference.Min(),6:F0}, max {reference.Max(),6:F0})");
        Console.WriteLine($"service / nginx: {Figures.Median(service) / Figures.Median(reference):F2}");
        Console.WriteLine($"service resident memory: {idle / 1048576.0:F0} MiB idle, peak {during / 1048576.0:F0} MiB while downloading (+{(during - idle) / 1048576.0:F0} MiB)");
    }

    /// <summary>Reads the whole body into nothing; returns MiB/s.</summary>
    private static async Task<double> ReadAsync(HttpClient http, Uri url, int sizeMb)
    {
        var buffer = new byte[1 << 20];
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0) total += read;
        if (total < (long)sizeMb << 20) throw new InvalidOperationException($"{url} gave {total} bytes, fewer than {sizeMb} MiB");
        return total / 1048576.0 / watch.Elapsed.TotalSeconds;
    }

    /// <summary>nginx serving a folder on a loopback port, with its files and logs in a temporary prefix.</summary>
    private sealed class Nginx : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _prefix;

        private Nginx(Process process, string prefix, int port) => (_process, _prefix, Port) = (process, prefix, port);

        public int Port { get; }

        public static async Task<Nginx> StartAsync(string nginx, string root)
        {
            var prefix = Directory.CreateTempSubdirectory("hybridbuild-bench-nginx-").FullName;
            var port = BenchNode.FreePort();
            var conf = Path.Combine(prefix, "nginx.conf");
            // run as root (a container, CI), nginx's workers would drop to nobody and not read the service's 0700 folders
            var user = Environment.UserName == "root" ? "user root;" : "";
            await File.WriteAllTextAsync(conf, $$"""
                {{user}}
                worker_processes 1;
                daemon off;
                pid {{prefix}}/nginx.pid;
                error_log {{prefix}}/error.log;
                events { worker_connections 64; }
                http {
                    access_log off;
                    sendfile on;
                    tcp_nopush on;
                    client_body_temp_path {{prefix}}/body;
                    proxy_temp_path {{prefix}}/proxy;
                    fastcgi_temp_path {{prefix}}/fastcgi;
                    uwsgi_temp_path {{prefix}}/uwsgi;
                    scgi_temp_path {{prefix}}/scgi;
                    types { }
                    default_type application/octet-stream;
                    server { listen 127.0.0.1:{{port}}; root {{root}}; }
                }
                """);
            Process process;
            try
            {
                process = Process.Start(new ProcessStartInfo(nginx) { ArgumentList = { "-p", prefix, "-c", conf }, RedirectStandardError = true })!;
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"This benchmark compares with nginx ({nginx}): install it (apt-get install nginx) or pass --nginx <path>: {e.Message}", e);
            }
            for (var i = 0; i < 100; i++)
            {
                try
                {
                    using var client = new System.Net.Sockets.TcpClient();
                    await client.ConnectAsync("127.0.0.1", port);
                    return new Nginx(process, prefix, port);
                }
                catch (System.Net.Sockets.SocketException) { await Task.Delay(100); }
                if (process.HasExited) throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()}");
            }
            throw new TimeoutException("nginx did not listen within 10 s");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
            Directory.Delete(_prefix, recursive: true);
        }
    }
}
