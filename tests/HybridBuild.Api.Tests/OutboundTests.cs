namespace HybridBuild.Api.Tests;

/// <summary>Git sources the service must not reach: refused at submission, nothing stored.</summary>
[Collection(LiveService.Name)]
public sealed class OutboundTests(ServiceFixture service)
{
    private readonly BuildApi _api = new(service.Client);

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data.git")]
    [InlineData("https://[fe80::1]/repo.git")]
    [InlineData("http://metadata.google.internal/repo.git")]
    [InlineData("git@169.254.169.254:org/repo.git")]
    [InlineData("file:///etc/passwd")]
    [InlineData("git@[fe80::1]:org/repo.git")]
    [InlineData("ssh://git.example.com?@169.254.169.254/org/repo.git")]
    [InlineData("git@git.example.com?@169.254.169.254:org/repo.git")]
    public async Task A_git_source_on_a_link_local_or_metadata_address_or_a_file_URL_is_a_400_and_stores_nothing(string url)
    {
        var before = await _api.CountAsync();
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Git = new GitSourceSpec { Url = url, Ref = "main" } },
            Stages = [new StageSpec { Name = "s" }],
        };
        using var response = await _api.PostJsonAsync(spec);
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["source.git.url"]);
        Assert.Equal(before, await _api.CountAsync());
    }

    [Fact]
    public async Task A_git_source_whose_host_name_is_too_long_to_resolve_is_a_400_not_a_500()
    {
        var spec = new BuildSpec
        {
            Source = new SourceSpec { Git = new GitSourceSpec { Url = $"https://{new string('a', 60)}.{new string('b', 60)}.{new string('c', 60)}.{new string('d', 60)}.{new string('e', 60)}.example/repo.git", Ref = "main" } },
            Stages = [new StageSpec { Name = "s" }],
        };
        using var response = await _api.PostJsonAsync(spec);
        var problem = await BuildApi.ProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["source.git.url"]);
    }
}
