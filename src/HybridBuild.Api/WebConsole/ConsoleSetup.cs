namespace HybridBuild.Api.WebConsole;

/// <summary>
/// The web console: static files (HTML, CSS, ES modules) from wwwroot, served at <c>/</c> before authorization, like the
/// API description. The page holds no secret: it asks for an API key and sends it as a header on each API call. Its
/// answers carry a strict Content-Security-Policy (no inline script, no framing, no other origin) so that a build's
/// log or stage name, which the console only ever sets as text, could not run as script even if one slipped through.
/// </summary>
internal static class ConsoleSetup
{
    /// <summary>The console's policy: its own files only, API calls to its own origin, blob: for downloads it made.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
        + "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static WebApplication UseHybridBuildConsole(this WebApplication app)
    {
        // "/" is index.html; the console routes with the URL's fragment, so no other path needs rewriting
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context => Secure(context.Context.Response),
        });
        return app;
    }

    private static void Secure(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        // a new release is picked up at once: the files are revalidated (ETag) on every load
        headers.CacheControl = "no-cache";
    }
}
