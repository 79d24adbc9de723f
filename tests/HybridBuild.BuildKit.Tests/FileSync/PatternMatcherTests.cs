namespace HybridBuild.BuildKit.Tests.FileSync;

public sealed class PatternMatcherTests
{
    [Theory]
    [InlineData("*.log", "a.log", true)]
    [InlineData("*.log", "dir/a.log", false)] // '*' stays in one segment
    [InlineData("*/a.log", "dir/a.log", true)]
    [InlineData("**/*.log", "a.log", true)]
    [InlineData("**/*.log", "x/y/z/a.log", true)]
    [InlineData("x/**/b", "x/b", true)]
    [InlineData("x/**/b", "x/1/2/b", true)]
    [InlineData("x/**", "x/1/2", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "a/c", false)]
    [InlineData("a?c", "a\U0001F600c", true)] // one character, even outside the BMP
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[^a-c]x", "dx", true)]
    [InlineData("[^a-c]x", "bx", false)]
    [InlineData(@"\*x", "*x", true)]
    [InlineData(@"\*x", "ax", false)]
    [InlineData("a.b", "axb", false)] // '.' is literal
    [InlineData("/build/", "build", true)] // cleaned like a .dockerignore line
    [InlineData("build", "build/deep/file", true)] // a parent directory matches
    [InlineData("  node_modules  ", "node_modules/x", true)]
    public void Patterns_follow_the_Docker_ignore_rules(string pattern, string path, bool matches) =>
        Assert.Equal(matches, new PatternMatcher([pattern]).Matches(path));

    [Fact]
    public void The_last_matching_pattern_wins()
    {
        var matcher = new PatternMatcher(["*.md", "!README.md", "README.md"]);
        Assert.True(matcher.Matches("README.md"));
        Assert.False(new PatternMatcher(["*.md", "!README.md"]).Matches("README.md"));
        Assert.True(new PatternMatcher(["*.md", "!README.md"]).Matches("CHANGES.md"));
    }

    [Fact]
    public void An_exception_pattern_may_match_below_a_directory_only_when_its_segments_allow_it()
    {
        var matcher = new PatternMatcher(["build", "!build/keep/*.txt"]);
        Assert.True(matcher.MayMatchBelow("build", exceptions: true));
        Assert.True(matcher.MayMatchBelow("build/keep", exceptions: true));
        Assert.False(matcher.MayMatchBelow("build/other", exceptions: true));
        Assert.False(matcher.MayMatchBelow("build/keep/a.txt", exceptions: true));
    }

    [Fact]
    public void A_lone_exclamation_mark_or_an_unclosed_class_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new PatternMatcher(["!"]));
        Assert.Throws<ArgumentException>(() => new PatternMatcher(["[abc"]));
    }
}
