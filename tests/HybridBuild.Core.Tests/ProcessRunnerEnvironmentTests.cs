using HybridBuild.Core.Processes;

namespace HybridBuild.Core.Tests;

/// <summary>Changes this process's environment, so it runs apart from the tests that start git.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class ProcessRunnerEnvironmentTests : IDisposable
{
    // what the service is started with: its secrets, then what git and the Docker CLI need
    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["Auth__AdminKey"] = "admin-key-value",
        ["Auth__AdminKeyFile"] = "/run/secrets/admin",
        ["Secrets__MasterKey"] = "master-key-value",
        ["Secrets__MasterKeyFile"] = "/run/secrets/master",
        ["Secrets:MasterKey"] = "colon-form-value",
        ["auth__adminkey"] = "lower-case-value",
        ["ConnectionStrings__Postgres"] = "Host=db;Password=pg-password",
        ["HYBRIDBUILD_ADMIN_KEY"] = "env-admin-key",
        ["Publishing__Targets__artifactory__Password"] = "art-password",
        ["Publishing__Targets__artifactory__User"] = "deployer",
        ["Engine__Registries__0__Token"] = "registry-token",
        ["Engine__Registries__0__Username"] = "registry-user",
        ["Storage__S3__SecretAccessKey"] = "s3-secret",
        ["DOCKER_PASSWORD"] = "docker-password",
        ["GIT_TOKEN"] = "git-token",
        ["BUILDX_API_KEY"] = "buildx-key",
        ["DOCKER_APIKEY"] = "docker-key",
        ["HB_TEST_UNLISTED"] = "not needed by git or docker",
    };

    private static readonly Dictionary<string, string> Needed = new()
    {
        ["DOCKER_CONFIG"] = "/tmp/hb-test-docker-config",
        ["BUILDX_CONFIG"] = "/tmp/hb-test-buildx-config",
        ["GIT_CONFIG_COUNT"] = "0",
        ["SSL_CERT_DIR"] = "/etc/ssl/certs",
        ["NO_PROXY"] = "localhost,127.0.0.1",
        ["LC_HB_TEST"] = "C",
    };

    private readonly Dictionary<string, string?> _before = new();

    public ProcessRunnerEnvironmentTests()
    {
        foreach (var (name, value) in Secrets.Concat(Needed))
        {
            _before[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _before) Environment.SetEnvironmentVariable(name, value);
    }

    private static async Task<Dictionary<string, string>> ChildEnvironmentAsync(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var lines = new List<string>();
        var result = await ProcessRunner.RunAsync("/usr/bin/env", [], environment: environment, onStandardOutput: lines.Add);
        Assert.Equal(0, result.ExitCode);
        return lines.Where(l => l.Contains('=')).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
    }

    [Fact]
    public async Task A_child_process_sees_none_of_the_services_secrets()
    {
        // the variables really are in this process's environment, as the service's would be
        Assert.Equal("master-key-value", Environment.GetEnvironmentVariable("Secrets__MasterKey"));

        var child = await ChildEnvironmentAsync();

        foreach (var name in Secrets.Keys) Assert.False(child.ContainsKey(name), $"the child inherited {name}");
        foreach (var value in Secrets.Values) Assert.DoesNotContain(child.Values, v => v.Contains(value));
    }

    [Fact]
    public async Task A_child_process_keeps_what_git_and_docker_need()
    {
        var child = await ChildEnvironmentAsync();

        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), child["PATH"]);
        if (Environment.GetEnvironmentVariable("HOME") is { } home) Assert.Equal(home, child["HOME"]);
        foreach (var (name, value) in Needed) Assert.Equal(value, child.GetValueOrDefault(name));
    }

    [Fact]
    public async Task Variables_the_caller_gives_are_set_and_a_null_one_is_unset()
    {
        // buildx receives the build's secrets this way, so the caller's own variables pass whatever their name
        var child = await ChildEnvironmentAsync(new Dictionary<string, string?>
        {
            ["HYBRIDBUILD_SECRET_0"] = "the build's secret",
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["DOCKER_CONFIG"] = null,
        });

        Assert.Equal("the build's secret", child["HYBRIDBUILD_SECRET_0"]);
        Assert.Equal("0", child["GIT_TERMINAL_PROMPT"]);
        Assert.False(child.ContainsKey("DOCKER_CONFIG"));
        Assert.False(child.ContainsKey("Secrets__MasterKey"));
    }

    [Theory]
    [InlineData("PATH", true)]
    [InlineData("HOME", true)]
    [InlineData("LANG", true)]
    [InlineData("LC_ALL", true)]
    [InlineData("TMPDIR", true)]
    [InlineData("DOCKER_HOST", true)]
    [InlineData("BUILDX_BUILDER", true)]
    [InlineData("GIT_SSH_COMMAND", true)]
    [InlineData("SSL_CERT_FILE", true)]
    [InlineData("HTTPS_PROXY", true)]
    [InlineData("https_proxy", true)]
    [InlineData("NO_PROXY", true)]
    [InlineData("Auth__AdminKey", false)]
    [InlineData("AUTH__ADMINKEY", false)]
    [InlineData("Secrets:MasterKeyFile", false)]
    [InlineData("ConnectionStrings__Postgres", false)]
    [InlineData("Publishing__Targets__x__Url", false)]
    [InlineData("Engine__Registries__0__Password", false)]
    [InlineData("HYBRIDBUILD_ADMIN_KEY", false)]
    [InlineData("GIT_PASSWORD", false)]
    [InlineData("DOCKER_TOKEN", false)]
    [InlineData("GIT_HTTP_SECRET", false)]
    [InlineData("DOCKER_API_KEY", false)]
    [InlineData("ASPNETCORE_Kestrel__Certificates__Default__Password", false)]
    [InlineData("DOTNET_ENVIRONMENT", false)]
    [InlineData("LD_PRELOAD", false)]
    public void Which_variables_a_child_inherits(string name, bool passes)
    {
        Assert.Equal(passes, ChildEnvironment.Passes(name));
    }
}
