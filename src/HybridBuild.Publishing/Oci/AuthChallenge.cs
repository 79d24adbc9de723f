namespace HybridBuild.Publishing.Oci;

/// <summary>
/// One <c>WWW-Authenticate</c> challenge: <c>Basic realm="x"</c> or
/// <c>Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"</c> (the Docker token spec).
/// </summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);
    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    /// <summary>The first Bearer or Basic challenge of a 401 answer, or null when there is none.</summary>
    public static AuthChallenge? From(HttpHeaderValueCollection<AuthenticationHeaderValue> headers)
    {
        var parsed = headers.Select(h => new AuthChallenge(h.Scheme, ParseParameters(h.Parameter ?? ""))).ToList();
        return parsed.FirstOrDefault(c => c.IsBearer) ?? parsed.FirstOrDefault(c => c.IsBasic);
    }

    /// <summary>Parses <c>key="value",key=value</c>; a quoted value may hold commas (scopes do).</summary>
    internal static IReadOnlyDictionary<string, string> ParseParameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            var eq = text.IndexOf('=', i);
            if (eq < 0) break;
            var key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new System.Text.StringBuilder();
                for (i++; i < text.Length && text[i] != '"'; i++)
                    sb.Append(text[i] == '\\' && i + 1 < text.Length ? text[++i] : text[i]);
                i++;
                value = sb.ToString();
            }
            else
            {
                var end = text.IndexOf(',', i);
                if (end < 0) end = text.Length;
                value = text[i..end].Trim();
                i = end;
            }
            if (key.Length > 0) result[key] = value;
        }
        return result;
    }
}
