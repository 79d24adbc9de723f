using HybridBuild.BuildKit.Client.Session.Services;

namespace HybridBuild.BuildKit.Tests.Session;

/// <summary>
/// How repeated DiffCopy metadata is read. Kestrel keeps one value per received header field; the gRPC client cannot
/// send them separately, so these feed the header collection directly.
/// </summary>
public sealed class SessionRequestMetadataTests
{
    [Fact]
    public void Repeated_header_fields_stay_separate_values_even_when_they_contain_commas()
    {
        var headers = new HeaderDictionary { ["exclude-patterns"] = new StringValues(["*.log", "a,b", "tmp"]) };

        Assert.Equal(["*.log", "a,b", "tmp"], SessionRequestMetadata.GetValues(headers, "exclude-patterns"));
    }

    [Fact]
    public void Encoded_values_are_query_unescaped_like_go_does()
    {
        var headers = new HeaderDictionary
        {
            ["followpaths"] = new StringValues(["caf%C3%A9+menu", "a%2Cb"]),
            ["followpaths-encoded"] = "1",
        };

        Assert.Equal(["café menu", "a,b"], SessionRequestMetadata.GetValues(headers, "followpaths"));
    }

    [Fact]
    public void Values_without_the_encoded_flag_are_taken_literally()
    {
        var headers = new HeaderDictionary { ["followpaths"] = "a%2Cb+c" };

        Assert.Equal(["a%2Cb+c"], SessionRequestMetadata.GetValues(headers, "followpaths"));
    }

    [Fact]
    public void A_missing_key_has_no_values_and_no_single_value()
    {
        var headers = new HeaderDictionary();

        Assert.Empty(SessionRequestMetadata.GetValues(headers, "include-patterns"));
        Assert.Null(SessionRequestMetadata.GetSingle(headers, "dir-name"));
    }
}
