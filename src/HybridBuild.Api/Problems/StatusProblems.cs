using Microsoft.AspNetCore.Http.Features;

namespace HybridBuild.Api.Problems;

/// <summary>
/// Problems written for a bare status code (UseStatusCodePages), where no exception says what happened. Minimal APIs
/// answer a body over Kestrel's limit with a bare 413 (they swallow the read's BadHttpRequestException); this gives
/// it the service's type and a detail that names the limit.
/// </summary>
internal static class StatusProblems
{
    public static void Describe(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (context.Exception is not null || problem.Type?.StartsWith(ProblemExceptionHandler.TypePrefix, StringComparison.Ordinal) == true) return;
        if (problem.Status != StatusCodes.Status413PayloadTooLarge) return;
        var limit = context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        problem.Type = ProblemExceptionHandler.TypePrefix + "too-large";
        problem.Title = "The request is too large.";
        problem.Detail = limit is { } bytes
            ? $"The request body is too large: this endpoint accepts at most {bytes} bytes."
            : "The request body is too large for this endpoint.";
        problem.Instance ??= context.HttpContext.Request.Path;
    }
}
