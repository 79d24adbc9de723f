using Microsoft.AspNetCore.Http;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>
/// Reads the daemon's call metadata from the HTTP request headers. <c>ServerCallContext.RequestHeaders</c> joins
/// repeated keys into one comma-separated value, and patterns may contain commas, so the raw header fields are used.
/// </summary>
internal static class SessionRequestMetadata
{
    /// <summary>Every value of <paramref name="key"/>, one per header field, decoded when <c>&lt;key&gt;-encoded: 1</c> says so.</summary>
    public static IReadOnlyList<string> GetValues(IHeaderDictionary headers, string key)
    {
        var values = headers[key];
        // BuildKit query-escapes values it could not send as ASCII (v0.12+) and flags the key.
        var encoded = headers[key + "-encoded"] is [var flag] && flag == "1";
        var result = new List<string>(values.Count);
        foreach (var value in values)
        {
            if (value is not null)
            {
                // Go's QueryEscape: '+' is a space, so UrlDecode rather than Uri.UnescapeDataString.
                result.Add(encoded ? WebUtility.UrlDecode(value) : value);
            }
        }

        return result;
    }

    /// <summary>The single value of <paramref name="key"/>; null when absent or repeated.</summary>
    public static string? GetSingle(IHeaderDictionary headers, string key) =>
        GetValues(headers, key) is [var value] ? value : null;
}
