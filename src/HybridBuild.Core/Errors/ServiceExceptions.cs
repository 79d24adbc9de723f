namespace HybridBuild.Core.Errors;

/// <summary>
/// An error a client caused or must know about. The host turns each into RFC 9457 problem details
/// with a stable type (<see cref="Slug"/>), its status and a detail that names what was wrong.
/// </summary>
public abstract class ServiceException(string slug, int status, string title, string detail) : Exception(detail)
{
    public string Slug { get; } = slug;
    public int Status { get; } = status;
    public string Title { get; } = title;
}

public sealed class SpecValidationException(IReadOnlyDictionary<string, string[]> errors)
    : ServiceException("validation", 400, "The build request is not valid.", Describe(errors))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    private static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        string.Join("; ", errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}")));
}

public sealed class BadRequestException(string slug, string title, string detail, string? field = null)
    : ServiceException(slug, 400, title, detail)
{
    public string? Field { get; } = field;
}

public sealed class InvalidContextException(string detail)
    : ServiceException("invalid-context", 400, "The build context is not a valid archive.", detail);

public sealed class PayloadTooLargeException(string detail)
    : ServiceException("too-large", 413, "The request is too large.", detail);

public sealed class UnsupportedContentTypeException(string detail)
    : ServiceException("unsupported-media-type", 415, "The content type is not supported.", detail);

/// <summary>The caller's key may not do this with what the request names (a 403 like a missing scope's, naming the field).</summary>
public sealed class ForbiddenException(string detail, string? field = null)
    : ServiceException("forbidden", 403, "The API key may not do this.", detail)
{
    public string? Field { get; } = field;
}

public sealed class NotFoundException(string detail)
    : ServiceException("not-found", 404, "Not found.", detail);

public sealed class ConflictException(string slug, string title, string detail)
    : ServiceException(slug, 409, title, detail);

public sealed class UnprocessableException(string slug, string title, string detail)
    : ServiceException(slug, 422, title, detail);

/// <summary>The service is at one of its limits for now (429): the client may try again after <see cref="RetryAfter"/>.</summary>
public sealed class TooManyRequestsException(string slug, string title, string detail, TimeSpan retryAfter)
    : ServiceException(slug, 429, title, detail)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>A byte range that starts past the end of the content (RFC 9110 §15.5.17): answered with <c>Content-Range: bytes */length</c>.</summary>
public sealed class RangeNotSatisfiableException(long length, string detail)
    : ServiceException("range-not-satisfiable", 416, "The requested range is not satisfiable.", detail)
{
    public long Length { get; } = length;
}
