using System.Diagnostics.Metrics;
using HybridBuild.Application.Telemetry;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HybridBuild.Api.Hosting;

/// <summary>
/// Metrics for Prometheus (the service's meter, ASP.NET Core's HTTP server metrics, the runtime's), traces through
/// OTLP when a collector is configured, and log lines that carry the trace and span id of the work they belong to.
/// </summary>
internal static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    private static readonly string[] Protocols = ["grpc", "http/protobuf"];

    public static IServiceCollection AddHybridBuildTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        services.AddOptions<TelemetryOptions>().Bind(configuration.GetSection(TelemetryOptions.Section))
            .Validate(o => o.MetricsPort is null or > 0 and <= 65535, "Telemetry:MetricsPort must be a port number (1-65535), or unset.")
            .Validate(o => o.MetricsHost is "localhost" or "*" || System.Net.IPAddress.TryParse(o.MetricsHost, out _),
                "Telemetry:MetricsHost must be localhost, * (every address) or an IP address.")
            .Validate(o => Protocols.Contains(o.Otlp.Protocol), $"Telemetry:Otlp:Protocol must be one of: {string.Join(", ", Protocols)}.")
            .Validate(o => o.Otlp.Endpoint is null || Uri.TryCreate(o.Otlp.Endpoint, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Telemetry:Otlp:Endpoint must be an http or https URL.")
            .ValidateOnStart();

        // the host's default already scopes log lines with these; said here because the correlation depends on it
        services.Configure<LoggerFactoryOptions>(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(settings.ServiceName))
            // no HTTP client metrics: their series are labelled with the server's address, which builds choose (notification
            // URLs, git and publish hosts), so a key could grow /metrics without bound; outbound calls are traced instead
            .WithMetrics(metrics =>
                metrics.AddMeter(HybridBuildTelemetry.Name).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation()
                    .AddPrometheusExporter());
        // meters are matched by name across the process: another host in it (the metrics port's server) has its own
        // Microsoft.AspNetCore.Hosting meter, whose instruments would share this host's series and, when it stops, take
        // them away. Only this host's meters (and the process-wide ones, such as the runtime's) are exported.
        services.ConfigureOpenTelemetryMeterProvider((provider, metrics) =>
        {
            var own = provider.GetRequiredService<IMeterFactory>();
            metrics.AddView(i => i.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own) ? MetricStreamConfiguration.Drop : null);
        });
        services.AddHostedService<MetricsPortServer>();

        var otlpEndpoint = settings.Otlp.Endpoint ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(otlpEndpoint)) return services;
        // spans are recorded only when they go somewhere: without a collector no listener samples them, and they cost nothing
        telemetry.WithTracing(tracing => tracing.AddSource(HybridBuildTelemetry.Name)
            .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsProbe(http.Request.Path))
            .AddHttpClientInstrumentation());
        if (settings.Otlp.Endpoint is null)
            telemetry.UseOtlpExporter(); // the OTEL_EXPORTER_OTLP_* variables
        else if (Uri.TryCreate(settings.Otlp.Endpoint, UriKind.Absolute, out var endpoint)) // else the validation above stops the start, naming it
            telemetry.UseOtlpExporter(settings.Otlp.Protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf, endpoint);
        return services;
    }

    /// <summary>
    /// /metrics on the API's port, for keys with the metrics:read scope; the metrics port, when configured, serves its own
    /// /metrics without a key. On every node, API or worker: each one's stages, solves and blobs are its own.
    /// </summary>
    public static WebApplication MapHybridBuildMetrics(this WebApplication app)
    {
        // the gauges read the queues and builders when scraped: created now, so they are there from the first scrape
        app.Services.GetRequiredService<ServiceGauges>();
        app.MapPrometheusScrapingEndpoint(MetricsPath).RequireAuthorization(ApiScopes.MetricsRead).ExcludeFromDescription();
        return app;
    }

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments(MetricsPath);
}
