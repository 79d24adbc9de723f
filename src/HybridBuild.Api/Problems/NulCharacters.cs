namespace HybridBuild.Api.Problems;

/// <summary>
/// A NUL (%00) in the query is refused before any endpoint sees it: no name the service stores may hold one, and
/// PostgreSQL rejects it in text with an error that would otherwise become a 500. (Kestrel itself refuses a %00 in the
/// path before the service runs; <see cref="ConnectionRejections"/> makes that a problem too.)
/// </summary>
internal static class NulCharacters
{
    public static IApplicationBuilder UseNulRejection(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        foreach (var (name, values) in http.Request.Query)
            if (name.Contains('\0') || values.Any(v => v?.Contains('\0') == true))
                throw new BadRequestException("bad-query", "The query is not valid.", $"The query parameter '{name.Replace("\0", "%00")}' contains a NUL character (%00).", name.Replace("\0", "%00"));
        return next(http);
    });
}
