using System.Text.RegularExpressions;

namespace HybridBuild.Core.Tests;

public class RefPatternTests
{
    [Theory]
    [InlineData("main", "main", true)]
    [InlineData("main", "main2", false)]
    [InlineData("main", "xmain", false)]
    [InlineData("main", "", false)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("main", "main\n", false)] // a regex's '$' would have let the newline through
    public void A_pattern_without_stars_matches_only_itself(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, RefPattern.IsMatch(pattern, value));
    }

    [Theory]
    [InlineData("release/*", "release/1.0", true)]
    [InlineData("release/*", "release/", true)]
    [InlineData("release/*", "release/1.0/hotfix", false)]
    [InlineData("release/*", "release", false)]
    [InlineData("*", "main", true)]
    [InlineData("*", "feature/x", false)]
    [InlineData("v*.*", "v1.2", true)]
    [InlineData("v*.*", "v1/2.3", false)]
    [InlineData("*-rc", "1.0-rc", true)]
    public void One_star_matches_within_a_segment(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, RefPattern.IsMatch(pattern, value));
    }

    [Theory]
    [InlineData("feature/**", "feature/a/b/c", true)]
    [InlineData("feature/**", "feature/", true)]
    [InlineData("feature/**", "features/a", false)]
    [InlineData("**", "", true)]
    [InlineData("**", "any/thing/at/all", true)]
    [InlineData("**/fix", "a/b/fix", true)]
    [InlineData("**/fix", "fix", false)]
    [InlineData("a/**/z", "a/z", false)]
    [InlineData("a/**/z", "a//z", true)]
    [InlineData("a/***", "a/b/c", true)] // '**' then '*', as the regex read it
    public void Two_stars_match_across_segments(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, RefPattern.IsMatch(pattern, value));
    }

    [Theory]
    [InlineData("a.b", "axb", false)]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a+", "aa", false)]
    [InlineData("a?", "ab", false)]
    [InlineData("a?", "a?", true)]
    [InlineData("[ab]", "a", false)]
    [InlineData("[ab]", "[ab]", true)]
    [InlineData("(x|y)", "x", false)]
    [InlineData("^$\\", "^$\\", true)]
    public void Every_other_character_is_literal(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, RefPattern.IsMatch(pattern, value));
    }

    [Fact]
    public void A_pathological_pattern_against_a_long_input_answers()
    {
        var pattern = new RefPattern("*a*a*a*a*a*a*a*a*b");
        var input = new string('a', 10_000);

        Assert.False(pattern.IsMatch(input));
        Assert.True(pattern.IsMatch(input + "b"));
        Assert.False(new RefPattern("**a**a**a**a**a**a**a**a**b").IsMatch(string.Join('/', Enumerable.Repeat("aaaa", 2_000))));
        Assert.False(new RefPattern(string.Concat(Enumerable.Repeat("*a", 200)) + "b").IsMatch(input));
    }

    [Fact]
    public void It_agrees_with_the_regex_it_replaces_on_random_patterns_and_values()
    {
        // the translation WebhookEvent used: '**' as '.*', '*' as '[^/]*', everything else escaped
        static Regex Old(string pattern) =>
            new("^" + Regex.Escape(pattern).Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*") + "$");
        var random = new Random(20240611);
        static string Draw(Random random, string alphabet, int max) =>
            new(Enumerable.Range(0, random.Next(max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

        for (var i = 0; i < 5_000; i++)
        {
            var pattern = Draw(random, "ab/*.", 8);
            var value = Draw(random, "ab/.", 10);
            Assert.True(Old(pattern).IsMatch(value) == RefPattern.IsMatch(pattern, value), $"'{pattern}' against '{value}'");
        }
    }

    [Fact]
    public void The_pattern_is_kept_as_given()
    {
        Assert.Equal("release/**", new RefPattern("release/**").Pattern);
        Assert.Throws<ArgumentNullException>(() => new RefPattern(null!));
        Assert.Throws<ArgumentNullException>(() => new RefPattern("*").IsMatch(null!));
    }
}
