using YamlDotNet.RepresentationModel;

namespace HybridBuild.Api.Tests.Deployment;

/// <summary>
/// deploy/k8s rendered with <c>kubectl kustomize</c>, as an operator applies it, and checked for what matters when it runs:
/// probes on the health endpoints, resource requests, no credential in plain configuration, every Secret key it
/// mounts documented, and a worker autoscaler whose query runs against the service's own schema.
/// </summary>
[Collection(LiveService.Name)]
public sealed class KubernetesManifestTests(ServiceFixture service)
{
    private static readonly string[] Overlays = ["deploy/k8s/base", "deploy/k8s/overlays/example"];
    private static readonly string[] SecretWords = ["password", "secret", "token", "apikey", "api_key", "adminkey", "masterkey", "connection"];

    [Fact]
    public async Task Both_kustomizations_render_and_the_service_containers_probe_the_health_endpoints()
    {
        foreach (var overlay in Overlays)
        {
            var objects = await RenderAsync(overlay);
            var service = Containers(objects).Where(c => c.Workload.StartsWith("hybridbuild-", StringComparison.Ordinal)).ToList();
            Assert.Equal(["hybridbuild-api", "hybridbuild-worker"], service.Select(c => c.Workload).Order());
            foreach (var (workload, container) in service)
            {
                Assert.Equal("/health/live", Text(container, "livenessProbe", "httpGet", "path"));
                Assert.Equal("/health/ready", Text(container, "readinessProbe", "httpGet", "path"));
                Assert.Equal("/health/live", Text(container, "startupProbe", "httpGet", "path"));
                var port = Text(container, "readinessProbe", "httpGet", "port");
                Assert.True(Sequence(container, "ports").Any(p => Text(p, "name") == port), $"{workload}'s probes name the port '{port}' it declares");
            }
            var api = service.Single(c => c.Workload == "hybridbuild-api").Container;
            Assert.Equal("false", EnvValue(api, "Worker__Enabled"));
            var worker = service.Single(c => c.Workload == "hybridbuild-worker").Container;
            Assert.Equal("false", EnvValue(worker, "Api__Enabled"));
            var builder = Containers(objects).Single(c => c.Workload == "buildkitd").Container;
            Assert.NotNull(Node(builder, "readinessProbe"));
        }
    }

    [Fact]
    public async Task Every_container_requests_cpu_and_memory_and_the_service_runs_unprivileged()
    {
        var objects = await RenderAsync("deploy/k8s/overlays/example");
        foreach (var (workload, container) in Containers(objects))
        {
            Assert.False(string.IsNullOrEmpty(Text(container, "resources", "requests", "cpu")), $"{workload} requests CPU");
            Assert.False(string.IsNullOrEmpty(Text(container, "resources", "requests", "memory")), $"{workload} requests memory");
            Assert.False(string.IsNullOrEmpty(Text(container, "resources", "limits", "memory")), $"{workload} has a memory limit");
            Assert.NotEqual("true", Text(container, "securityContext", "privileged"));
            Assert.Equal("false", Text(container, "securityContext", "allowPrivilegeEscalation") ?? (workload == "buildkitd" ? "false" : null));
        }
        foreach (var workload in Workloads(objects).Where(w => Text(w, "metadata", "name")!.StartsWith("hybridbuild-", StringComparison.Ordinal)))
        {
            var pod = Node(workload, "spec", "template", "spec")!;
            Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));
            Assert.Equal("false", Text(pod, "automountServiceAccountToken"));
            foreach (var container in Sequence(pod, "containers"))
                Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
        }
        // rootless: buildkitd runs as its unprivileged user, never privileged
        var builder = Containers(objects).Single(c => c.Workload == "buildkitd").Container;
        Assert.Equal("1000", Text(builder, "securityContext", "runAsUser"));
        Assert.Contains("rootless", Text(builder, "image"));
    }

    [Fact]
    public async Task No_credential_is_in_plain_configuration_and_every_Secret_key_it_reads_is_documented()
    {
        var objects = await RenderAsync("deploy/k8s/overlays/example");
        Assert.DoesNotContain(objects, o => Text(o, "kind") == "Secret"); // credentials are created beside the manifests, never in them
        foreach (var map in objects.Where(o => Text(o, "kind") == "ConfigMap"))
            foreach (var (key, value) in Mapping(map, "data"))
            {
                Assert.False(LooksSecret(key) && !key.EndsWith("File", StringComparison.Ordinal),
                    $"ConfigMap key {key} looks like a credential: put it in a Secret and name its file");
                Assert.DoesNotContain("password=", value, StringComparison.OrdinalIgnoreCase);
            }
        foreach (var (workload, container) in Containers(objects))
            foreach (var env in Sequence(container, "env"))
                Assert.False(LooksSecret(Text(env, "name")!) && Node(env, "value") is not null,
                    $"{workload} sets {Text(env, "name")} as a literal value: take it from a Secret");

        var documented = await File.ReadAllTextAsync(RepositoryRoot.Combine("deploy", "k8s", "README.md"));
        var keys = objects.SelectMany(o => Descendants(o)).OfType<YamlMappingNode>()
            .Where(m => m.Children.ContainsKey("secretKeyRef") || m.Children.ContainsKey("secretTargetRef"))
            .SelectMany(m => m.Children.TryGetValue("secretKeyRef", out var one) ? [one] : ((YamlSequenceNode)m.Children["secretTargetRef"]).Children)
            .Select(r => (Name: Text(r, "name")!, Key: Text(r, "key")!))
            .Concat(ConfigValues(objects).Where(v => v.StartsWith("/run/secrets/hybridbuild/", StringComparison.Ordinal))
                .Select(v => (Name: "hybridbuild-secrets", Key: v["/run/secrets/hybridbuild/".Length..])))
            .Distinct().ToList();
        Assert.NotEmpty(keys);
        foreach (var (name, key) in keys)
            Assert.True(documented.Contains($"`{key}`", StringComparison.Ordinal) && documented.Contains($"`{name}`", StringComparison.Ordinal),
                $"deploy/k8s/README.md says what goes in {name}'s key {key}");
    }

    [Fact]
    public async Task Workers_are_scaled_by_a_queue_depth_query_that_runs_against_the_service_schema()
    {
        var objects = await RenderAsync("deploy/k8s/overlays/example");
        var scaler = objects.Single(o => Text(o, "kind") == "ScaledObject");
        Assert.Equal("hybridbuild-worker", Text(scaler, "spec", "scaleTargetRef", "name"));
        Assert.Contains(Workloads(objects), w => Text(w, "metadata", "name") == "hybridbuild-worker" && Text(w, "kind") == "Deployment");
        var trigger = Sequence(scaler, "spec", "triggers").Single();
        var query = Text(trigger, "metadata", "query")!;

        // the query counts what waits or runs: a queued stage of a real build moves it
        var before = await Sql.ScalarAsync<long>(service.ConnectionString, query);
        var build = await new BuildApi(service.Client).SubmitAsync(new BuildSpec
        {
            Source = new SourceSpec { Inline = new InlineSourceSpec { Files = new() { ["Dockerfile"] = "FROM busybox\nRUN sleep 30\n" } } },
            Stages = [new StageSpec { Name = "slow", Output = new OutputSpec { Type = OutputType.None } }],
        });
        try
        {
            var during = await Sql.ScalarAsync<long>(service.ConnectionString, query);
            Assert.True(during >= 1, $"the autoscaler's query counts the queued or running stage ({before} before, {during} during)");
        }
        finally
        {
            await service.Client.PostAsync($"/api/v1/builds/{build.Id}/cancel", null);
        }
    }

    /// <summary>The objects <c>kubectl kustomize</c> renders from <paramref name="directory"/> (relative to the repository).</summary>
    private static async Task<List<YamlMappingNode>> RenderAsync(string directory)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "kustomize", RepositoryRoot.Combine(directory.Split('/')) }) start.ArgumentList.Add(arg);
        Process kubectl;
        try { kubectl = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("These tests render deploy/k8s with kubectl, which is not on PATH: install it (Debian: apt-get install kubectl).");
        }
        using (kubectl)
        {
            var output = kubectl.StandardOutput.ReadToEndAsync();
            var error = await kubectl.StandardError.ReadToEndAsync();
            await kubectl.WaitForExitAsync();
            Assert.True(kubectl.ExitCode == 0, $"kubectl kustomize {directory}: {error}");
            var stream = new YamlStream();
            stream.Load(new StringReader(await output));
            return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        }
    }

    private static IEnumerable<YamlMappingNode> Workloads(IEnumerable<YamlMappingNode> objects) =>
        objects.Where(o => Text(o, "kind") is "Deployment" or "StatefulSet");

    private static IEnumerable<(string Workload, YamlMappingNode Container)> Containers(IEnumerable<YamlMappingNode> objects) =>
        Workloads(objects).SelectMany(w => Sequence(w, "spec", "template", "spec", "containers").Select(c => (Text(w, "metadata", "name")!, (YamlMappingNode)c)));

    private static IEnumerable<string> ConfigValues(IEnumerable<YamlMappingNode> objects) =>
        objects.Where(o => Text(o, "kind") == "ConfigMap").SelectMany(m => Mapping(m, "data").Select(p => p.Value));

    private static bool LooksSecret(string name) =>
        SecretWords.Any(w => name.Replace("__", "", StringComparison.Ordinal).Contains(w, StringComparison.OrdinalIgnoreCase));

    private static string? EnvValue(YamlNode container, string name) =>
        Sequence(container, "env").Where(e => Text(e, "name") == name).Select(e => Text(e, "value")).SingleOrDefault();

    private static YamlNode? Node(YamlNode node, params string[] path)
    {
        foreach (var part in path)
            node = node is YamlMappingNode map && map.Children.TryGetValue(part, out var child) ? child : null!;
        return node;
    }

    private static string? Text(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    private static IEnumerable<YamlNode> Sequence(YamlNode node, params string[] path) => (Node(node, path) as YamlSequenceNode)?.Children ?? [];

    private static IEnumerable<(string Key, string Value)> Mapping(YamlNode node, params string[] path) =>
        (Node(node, path) as YamlMappingNode)?.Children.Select(p => (((YamlScalarNode)p.Key).Value!, (p.Value as YamlScalarNode)?.Value ?? "")) ?? [];

    private static IEnumerable<YamlNode> Descendants(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.Values.SelectMany(Descendants).Prepend(map),
        YamlSequenceNode list => list.Children.SelectMany(Descendants).Prepend(list),
        _ => [node],
    };
}
