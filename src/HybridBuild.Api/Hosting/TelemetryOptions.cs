namespace HybridBuild.Api.Hosting;

/// <summary>
/// "Telemetry": where Prometheus scrapes this node, and where traces, metrics and logs go by OTLP. By default metrics
/// are served at /metrics on the API's own port to keys with the metrics:read scope (or admin) only, and nothing is
/// exported; traces are then not recorded at all.
/// </summary>
public sealed record TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>
    /// A port of its own that serves /metrics (and nothing else) without a key, for a scraper inside the cluster or on
    /// the host; unset: none. Keep it off the public network: anyone who reaches it reads the metrics.
    /// </summary>
    public int? MetricsPort { get; init; }

    /// <summary>What <see cref="MetricsPort"/> listens on: <c>localhost</c> (the default), <c>*</c> for every address, or one IP address.</summary>
    public string MetricsHost { get; init; } = "localhost";

    /// <summary>The resource's service.name in exported telemetry.</summary>
    public string ServiceName { get; init; } = "hybridbuild";

    public OtlpOptions Otlp { get; init; } = new();

    /// <summary>
    /// The OTLP collector. Unset, the standard OTEL_EXPORTER_OTLP_ENDPOINT (with OTEL_EXPORTER_OTLP_PROTOCOL and
    /// OTEL_EXPORTER_OTLP_HEADERS) is used when it is set; with neither, nothing is exported.
    /// </summary>
    public sealed record OtlpOptions
    {
        /// <summary>The collector's base address, e.g. <c>http://otel-collector:4317</c> (grpc) or <c>:4318</c> (http/protobuf).</summary>
        public string? Endpoint { get; init; }

        /// <summary><c>grpc</c> (the default) or <c>http/protobuf</c>.</summary>
        public string Protocol { get; init; } = "grpc";
    }
}
