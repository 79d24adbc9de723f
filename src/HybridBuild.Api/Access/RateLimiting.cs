using System.Security.Claims;
using System.Threading.RateLimiting;
using HybridBuild.Api.Problems;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace HybridBuild.Api.Access;

/// <summary>"Limits:RateLimit": how many requests each API key may make per window.</summary>
public sealed record RateLimitOptions
{
    public const string Section = "Limits:RateLimit";

    /// <summary>Requests one key may make in each <see cref="Window"/>; unset: no limit.</summary>
    public int? PermitLimit { get; init; }

    /// <summary>The fixed window the permits are counted in.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Per-key rate limits (ASP.NET Core rate limiting, one fixed window per key): requests are counted by the key that
/// authenticated them (its id; the configured admin key, which has none, by itself), on this node. Requests without a
/// valid key (answered 401 anyway, and webhook deliveries, which are verified by their signature) are not counted; health
/// endpoints never are. A request past the limit is answered 429 problem+json with <c>Retry-After</c>.
/// </summary>
internal static class RateLimiting
{
    public static IServiceCollection AddHybridBuildRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section))
            .Validate(o => o.PermitLimit is null or > 0, "Limits:RateLimit:PermitLimit must be positive, or unset for no limit.")
            .Validate(o => o.Window >= TimeSpan.FromSeconds(1), "Limits:RateLimit:Window must be at least a second.")
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => PartitionOf(http, limits.Value));
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, cancellationToken) => RejectAsync(context, limits.Value, cancellationToken);
        });
        return services;
    }

    private static RateLimitPartition<string> PartitionOf(HttpContext http, RateLimitOptions limits)
    {
        if (limits.PermitLimit is not { } permits || http.User.Identity?.IsAuthenticated != true) return RateLimitPartition.GetNoLimiter("");
        var key = http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "configured admin key";
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits, Window = limits.Window, QueueLimit = 0, AutoReplenishment = true,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, RateLimitOptions limits, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : limits.Window;
        http.Response.Headers.RetryAfter = ProblemExceptionHandler.RetryAfterSeconds(wait);
        var problem = new ProblemDetails
        {
            Type = ProblemExceptionHandler.TypePrefix + "rate-limited", Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests.",
            Detail = $"This API key may make {limits.PermitLimit} requests every {SpecRules.FormatDuration(limits.Window)} (Limits:RateLimit); try again in {http.Response.Headers.RetryAfter} s.",
            Instance = http.Request.Path,
        };
        await http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }
}
