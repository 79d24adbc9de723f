using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HybridBuild.Api.Tests.Infrastructure;
using HybridBuild.Core.Domain;
using HybridBuild.Core.Specs;

namespace HybridBuild.Api.Tests;

/// <summary>Nodes with one role each share a database and blob root: the API node queues, a worker node builds.</summary>
[Collection(LiveService.Name)]
public sealed class MultiNodeTests(ServiceFixture service)
{
    [Fact]
    public async Task An_api_only_node_queues_stages_that_a_worker_only_node_runs()
    {
        var worker = await RunAcrossNodesAsync();
        Assert.Contains("BuildKit engine native: ", worker);
    }

    [Fact]
    public async Task A_worker_configured_for_the_buildx_engine_builds_with_it()
    {
        var worker = await RunAcrossNodesAsync(("Engine__Provider", "Buildx"));
        Assert.Contains("BuildKit engine buildx: ", worker);
    }

    /// <summary>Runs a two-stage build (one an input of the other) on an API node and a worker node; returns the worker's output.</summary>
    private async Task<string> RunAcrossNodesAsync(params (string Key, string Value)[] workerSettings)
    {
        var database = await service.CreateDatabaseAsync();
        var shared = Directory.CreateTempSubdirectory("hybridbuild-nodes-").FullName;
        var apiPort = Ports.Free();
        await using var api = Node.Start("api", apiPort, database, shared, ("Worker__Enabled", "false"));
        await api.WaitReadyAsync();
        await using var worker = Node.Start("worker", Ports.Free(), database, shared, [("Api__Enabled", "false"), .. workerSettings]);
        await worker.WaitReadyAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}"), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServiceFixture.AdminKey);
        var buildApi = new BuildApi(client);
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new()
            {
                ["Dockerfile"] = "FROM busybox AS make\nARG nonce\nRUN mkdir /out && echo \"made $nonce\" > /out/made.txt\nFROM scratch AS made\nCOPY --from=make /out/ /\n"
                    + "FROM busybox AS use\nCOPY in/made.txt /made.txt\nRUN mkdir /out && cp /made.txt /out/used.txt\nFROM scratch AS used\nCOPY --from=use /out/ /\n",
            } } },
            Stages =
            [
                new StageSpec { Name = "make", Target = "made", BuildArgs = new() { ["nonce"] = Guid.NewGuid().ToString("N") } },
                new StageSpec { Name = "use", Target = "used", Inputs = [new StageInputSpec { Stage = "make", Path = "in" }] },
            ],
        };

        var done = await buildApi.WaitSucceededAsync((await buildApi.SubmitAsync(spec)).Id, TimeSpan.FromMinutes(2));

        var used = done.Stages.Single(s => s.Name == "use").Artifacts!.Single();
        Assert.StartsWith("made ", await client.GetStringAsync(used.Href));
        Assert.Contains($"Running stage use of build {done.Id}", worker.Output);
        Assert.DoesNotContain("Running stage", api.Output);
        Assert.Equal(HttpStatusCode.NotFound, (await new HttpClient().GetAsync($"http://127.0.0.1:{worker.Port}/api/v1/builds")).StatusCode);
        Directory.Delete(shared, recursive: true);
        return worker.Output;
    }


    /// <summary>The service as its own process, the way a node runs it.</summary>
    private sealed class Node : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private Node(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        public static Node Start(string role, int port, string database, string shared, params (string Key, string Value)[] settings)
        {
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "HybridBuild.Api.dll")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
                Environment =
                {
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                    ["ConnectionStrings__Postgres"] = database,
                    ["Storage__FileSystem__Root"] = Path.Combine(shared, "blobs"),
                    ["Worker__WorkDirectory"] = Path.Combine(shared, $"work-{role}"),
                    ["Logging__LogLevel__Default"] = "Information",
                    ["Auth__AdminKey"] = ServiceFixture.AdminKey,
                },
            };
            foreach (var (key, value) in settings) start.Environment[key] = value;
            var node = new Node(Process.Start(start)!, port);
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

        public async Task WaitReadyAsync()
        {
            using var client = new HttpClient();
            for (var i = 0; i < 300; i++)
            {
                if (_process.HasExited) Assert.Fail($"the node on port {Port} exited: {Output}");
                try
                {
                    if ((await client.GetAsync($"http://127.0.0.1:{Port}/health/ready")).IsSuccessStatusCode) return;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(100);
            }
            Assert.Fail($"the node on port {Port} never became ready: {Output}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
