namespace HybridBuild.BuildKit.Tests.Engines;

/// <summary>Which Docker engine keeps a builder's images, where a verification stage runs them.</summary>
public sealed class BuilderDockerHostTests
{
    [Theory]
    [InlineData("docker", "unix:///var/run/docker.sock")]
    [InlineData("", "unix:///var/run/docker.sock")]
    [InlineData("docker+unix:///var/run/docker-2.sock", "unix:///var/run/docker-2.sock")]
    [InlineData("docker+tcp://engine.example.com:2376", "tcp://engine.example.com:2376")]
    [InlineData("unix:///run/buildkit/buildkitd.sock", null)]
    [InlineData("tcp://buildkitd.example.com:1234", null)]
    public void A_builders_images_are_on_the_Docker_engine_its_address_names_and_a_buildkitd_has_none(string address, string? host) =>
        Assert.Equal(host, BuilderSet.DockerHostOf(address, "unix:///var/run/docker.sock"));
}
