using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;

namespace HybridBuild.Api.Problems;

/// <summary>Turns every error into RFC 9457 problem details with a stable type; unexpected ones become a 500 without internals.</summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public const string TypePrefix = "urn:hybridbuild:problem:";

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            SpecValidationException v => new HttpValidationProblemDetails(v.Errors.ToDictionary(e => e.Key, e => e.Value))
            {
                Type = TypePrefix + v.Slug, Title = v.Title, Status = v.Status, Detail = v.Message,
            },
            ServiceException s => Problem(s.Slug, s.Status, s.Title, s.Message, s switch
            {
                BadRequestException b => b.Field,
                ForbiddenException f => f.Field,
                _ => null,
            }),
            BadHttpRequestException b => Problem(b.StatusCode == 413 ? "too-large" : "bad-request", b.StatusCode,
                b.StatusCode == 413 ? "The request is too large." : "The request is not valid.", b.Message, null),
            OperationCanceledException when http.RequestAborted.IsCancellationRequested => null,
            _ when DatabaseOutage.IsOutage(exception) => Problem("unavailable", 503, "The service is temporarily unavailable.",
                "The build database cannot be reached; try again shortly (a request sent with an Idempotency-Key can be repeated safely).", null),
            _ => Problem("internal", 500, "An unexpected error occurred.", "The service could not complete the request; the error is in its log.", null),
        };
        if (problem is null) return true; // the client went away: nothing to answer
        if (problem.Status == 500) LogUnexpected(exception, http.Request.Method, http.Request.Path);
        if (problem.Status == 503) LogOutage(http.Request.Method, http.Request.Path, exception.GetBaseException().Message);
        if (http.Response.HasStarted) return true;
        http.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == 503) http.Response.Headers.RetryAfter = ((int)DatabaseOutage.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        if (exception is TooManyRequestsException limited) http.Response.Headers.RetryAfter = RetryAfterSeconds(limited.RetryAfter);
        if (exception is RangeNotSatisfiableException range) http.Response.Headers.ContentRange = $"bytes */{range.Length}";
        problem.Instance = http.Request.Path;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>Whole seconds, rounded up (RFC 9110 §10.2.3), and at least one: "0" would invite an immediate retry.</summary>
    public static string RetryAfterSeconds(TimeSpan wait) =>
        Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static ProblemDetails Problem(string slug, int status, string title, string detail, string? field)
    {
        var problem = new ProblemDetails { Type = TypePrefix + slug, Status = status, Title = title, Detail = detail };
        if (field is not null) problem.Extensions["field"] = field;
        return problem;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the database is unavailable ({Reason})")]
    private partial void LogOutage(string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error in {Method} {Path}")]
    private partial void LogUnexpected(Exception exception, string method, string path);
}
