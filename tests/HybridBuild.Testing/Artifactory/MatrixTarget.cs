namespace HybridBuild.Testing.Artifactory;

/// <summary>
/// A request target as Artifactory reads it: <c>/artifactory/{repo}/{path}</c>, where any segment may carry
/// matrix parameters (<c>;key=v1,v2</c>). Parameters are split on the literal <c>;</c>, <c>=</c> (the first one)
/// and <c>,</c> before decoding, and keys and values are then URL-decoded form-style (<c>+</c> is a space), as
/// Artifactory's <c>URLDecoder</c> does; path segments are percent-decoded with <c>+</c> kept literally.
/// Malformed percent-encoding is refused rather than guessed at.
/// </summary>
public sealed record MatrixTarget(string Repository, string Path, IReadOnlyDictionary<string, IReadOnlyList<string>> Properties)
{
    public static bool TryParse(string rawTarget, string contextPath, out MatrixTarget target, out string error)
    {
        target = null!;
        var pathPart = rawTarget.Split('?', 2)[0];
        if (!pathPart.StartsWith(contextPath + "/", StringComparison.Ordinal))
        {
            error = $"'{pathPart}' is not under {contextPath}/.";
            return false;
        }

        var names = new List<string>();
        var properties = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var rawSegment in pathPart[(contextPath.Length + 1)..].Split('/'))
        {
            var parts = rawSegment.Split(';');
            if (!TryDecode(parts[0], formStyle: false, out var name) || name.Length == 0 || name is "." or ".." || name.Contains('/'))
            {
                error = $"Path segment '{parts[0]}' is empty, relative or badly encoded.";
                return false;
            }
            names.Add(name);
            foreach (var parameter in parts.Skip(1).Where(p => p.Length > 0))
            {
                var equals = parameter.IndexOf('=');
                var rawKey = equals < 0 ? parameter : parameter[..equals];
                var rawValues = equals < 0 ? [""] : parameter[(equals + 1)..].Split(',');
                if (!TryDecode(rawKey, formStyle: true, out var key) || key.Length == 0)
                {
                    error = $"Matrix parameter '{parameter}' has an empty or badly encoded key.";
                    return false;
                }
                if (!properties.TryGetValue(key, out var values)) properties[key] = values = [];
                foreach (var rawValue in rawValues)
                {
                    if (!TryDecode(rawValue, formStyle: true, out var value))
                    {
                        error = $"Matrix parameter '{parameter}' has a badly encoded value.";
                        return false;
                    }
                    values.Add(value);
                }
            }
        }
        if (names.Count < 2)
        {
            error = "A deploy needs a repository and a path.";
            return false;
        }

        error = "";
        target = new MatrixTarget(names[0], string.Join('/', names.Skip(1)),
            properties.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal));
        return true;
    }

    /// <summary>Strict percent-decoding: every <c>%</c> starts two hex digits and the bytes are valid UTF-8.</summary>
    private static bool TryDecode(string raw, bool formStyle, out string decoded)
    {
        decoded = "";
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2])) return false;
                bytes.Add(Convert.ToByte(raw.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c == '+' && formStyle)
                bytes.Add((byte)' ');
            else if (c > 0x7e || c < 0x21)
                return false; // a raw space or non-ASCII character is not a valid request target
            else
                bytes.Add((byte)c);
        }
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
