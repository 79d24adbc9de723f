using HybridBuild.BuildKit.Client.Protocol.FileSync;
using HybridBuild.BuildKit.Client.Protocol.Secrets;

namespace HybridBuild.BuildKit.Tests.Session;

public sealed class SessionCallbackTests
{
    [Fact]
    public async Task A_known_secret_is_returned_by_id()
    {
        var session = new BuildSession("key") { Secrets = { ["npm"] = Encoding.UTF8.GetBytes("s3cret") } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        var response = await new Secrets.SecretsClient(loopback.Channel).GetSecretAsync(new GetSecretRequest { ID = "npm" });

        Assert.Equal("s3cret", response.Data.ToStringUtf8());
    }

    [Fact]
    public async Task An_unknown_secret_is_not_found()
    {
        var session = new BuildSession("key") { Secrets = { ["npm"] = [1] } };
        await using var loopback = await SessionLoopback.StartAsync(session);

        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            new Secrets.SecretsClient(loopback.Channel).GetSecretAsync(new GetSecretRequest { ID = "pip" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Credentials_are_looked_up_by_registry_host()
    {
        var session = new BuildSession("key")
        {
            Credentials = host => host == "registry.example.com" ? new RegistryCredential("robot", "token") : null,
        };
        await using var loopback = await SessionLoopback.StartAsync(session);

        var response = await new Auth.AuthClient(loopback.Channel).CredentialsAsync(new CredentialsRequest { Host = "registry.example.com" });

        Assert.Equal("robot", response.Username);
        Assert.Equal("token", response.Secret);
    }

    [Fact]
    public async Task A_host_without_credentials_gets_an_empty_answer_meaning_anonymous()
    {
        var session = new BuildSession("key") { Credentials = _ => null };
        await using var loopback = await SessionLoopback.StartAsync(session);

        var response = await new Auth.AuthClient(loopback.Channel).CredentialsAsync(new CredentialsRequest { Host = "registry-1.docker.io" });

        Assert.Equal(new CredentialsResponse(), response);
    }

    [Fact]
    public async Task A_session_without_a_credentials_callback_is_anonymous_everywhere()
    {
        await using var loopback = await SessionLoopback.StartAsync(new BuildSession("key"));

        var response = await new Auth.AuthClient(loopback.Channel).CredentialsAsync(new CredentialsRequest { Host = "ghcr.io" });

        Assert.Equal(new CredentialsResponse(), response);
    }
}
