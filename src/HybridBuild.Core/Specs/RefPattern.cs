namespace HybridBuild.Core.Specs;

/// <summary>
/// A branch or tag filter such as <c>release/*</c> or <c>feature/**</c>: <c>*</c> matches any run of characters
/// within one path segment (never '/'), <c>**</c> any run at all ('/' included), and every other character only
/// itself; there is no escape, no <c>?</c> and no class. The whole value must match.
/// </summary>
/// <remarks>
/// Matching runs the pattern as an automaton over the value, keeping every position the pattern could be at and
/// stepping all of them once per character; it never backtracks. A match therefore costs at most
/// O(n·m) steps for a value of n characters and a pattern of m tokens, and O(m) memory, whatever either holds:
/// <c>*a*a*a*a*a*a*a*a*b</c> against 10 000 'a's is 170 000 steps. A regex with a timeout could instead run out
/// of time on such input, and the timeout surfaced as a 500.
/// </remarks>
public sealed class RefPattern
{
    private enum Token : byte { Literal, Star, DoubleStar }

    private readonly Token[] _tokens;
    private readonly char[] _literals;

    public RefPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = pattern;
        var tokens = new List<Token>(pattern.Length);
        var literals = new List<char>(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var token = pattern[i] != '*' ? Token.Literal
                : i + 1 < pattern.Length && pattern[i + 1] == '*' ? Token.DoubleStar
                : Token.Star;
            if (token == Token.DoubleStar) i++;
            // a star next to a double star adds nothing ('[^/]*' then '.*' is '.*'): one token for the run
            if (token != Token.Literal && tokens.Count > 0 && tokens[^1] != Token.Literal
                && (token == Token.DoubleStar || tokens[^1] == Token.DoubleStar))
            {
                tokens[^1] = Token.DoubleStar;
                continue;
            }
            tokens.Add(token);
            literals.Add(token == Token.Literal ? pattern[i] : '\0');
        }
        _tokens = [.. tokens];
        _literals = [.. literals];
    }

    public string Pattern { get; }

    public static bool IsMatch(string pattern, string value) => new RefPattern(pattern).IsMatch(value);

    public bool IsMatch(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var count = _tokens.Length;
        // at[j]: the first j tokens can have matched the characters read so far
        var at = new bool[count + 1];
        var next = new bool[count + 1];
        at[0] = true;
        SkipStars(at);
        foreach (var c in value)
        {
            Array.Clear(next);
            var alive = false;
            for (var j = 0; j < count; j++)
            {
                if (!at[j]) continue;
                switch (_tokens[j])
                {
                    case Token.Literal when _literals[j] == c:
                        next[j + 1] = alive = true;
                        break;
                    case Token.Star when c != '/':
                    case Token.DoubleStar:
                        next[j] = alive = true; // a star takes the character and stays
                        break;
                }
            }
            if (!alive) return false;
            SkipStars(next);
            (at, next) = (next, at);
        }
        return at[count];
    }

    /// <summary>A star may also match nothing: wherever one is reachable, so is the token after it.</summary>
    private void SkipStars(bool[] at)
    {
        for (var j = 0; j < _tokens.Length; j++)
            if (at[j] && _tokens[j] != Token.Literal) at[j + 1] = true;
    }

    public override string ToString() => Pattern;
}
