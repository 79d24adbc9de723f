namespace HybridBuild.BuildKit.Tests.Session;

public sealed class BuildSessionTests
{
    [Fact]
    public void The_id_is_25_lowercase_base36_characters_and_differs_per_session()
    {
        var first = new BuildSession("key").Id;

        Assert.Matches("^[0-9a-z]{25}$", first);
        Assert.NotEqual(first, new BuildSession("key").Id);
    }

    [Fact]
    public void An_empty_session_advertises_health_auth_and_secrets_only()
    {
        Assert.Equal(
            ["/grpc.health.v1.Health/Check", "/moby.filesync.v1.Auth/Credentials", "/moby.buildkit.secrets.v1.Secrets/GetSecret"],
            new BuildSession("key").AdvertisedMethods);
    }

    [Fact]
    public void Local_directories_and_exports_advertise_filesync_and_filesend()
    {
        var session = new BuildSession("key")
        {
            LocalDirectories = { ["context"] = "/src" },
            Exports = { new SessionExport.File("/out/image.tar") },
        };

        Assert.Contains("/moby.filesync.v1.FileSync/DiffCopy", session.AdvertisedMethods);
        Assert.Contains("/moby.filesync.v1.FileSend/DiffCopy", session.AdvertisedMethods);
    }

    [Fact]
    public void The_headers_carry_id_and_key_and_one_method_header_per_advertised_method()
    {
        var session = new BuildSession("repo:path") { LocalDirectories = { ["context"] = "/src" } };

        var headers = session.Headers.ToList();

        Assert.Contains(new("X-Docker-Expose-Session-Uuid", session.Id), headers);
        Assert.Contains(new("X-Docker-Expose-Session-Sharedkey", "repo:path"), headers);
        Assert.Contains(headers, h => h.Key == "X-Docker-Expose-Session-Name");
        Assert.Equal(session.AdvertisedMethods, headers.Where(h => h.Key == "X-Docker-Expose-Session-Grpc-Method").Select(h => h.Value));
    }

    [Fact]
    public void A_shared_key_that_cannot_be_a_header_value_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new BuildSession("line\nbreak"));
    }

    [Fact]
    public void A_credential_prints_without_its_secret()
    {
        Assert.DoesNotContain("hunter2", new RegistryCredential("me", "hunter2").ToString());
    }
}
