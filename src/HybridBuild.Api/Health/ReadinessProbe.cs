using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridBuild.Api.Health;

/// <summary>
/// The readiness report, computed at most once per <see cref="Freshness"/> however many ask. /health/ready needs no key,
/// and each report asks every builder's daemon, opens a database connection and writes a probe blob: without this, a
/// client calling it in a loop would make the node do that work for it as fast as it can send. Callers that arrive
/// while a report is being made wait for that one; a caller that goes away does not cancel it for the others.
/// </summary>
internal sealed class ReadinessProbe(HealthCheckService checks, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<HealthReport>? _report;
    private DateTimeOffset _madeAt;

    public Task<HealthReport> ReportAsync(CancellationToken cancellationToken)
    {
        Task<HealthReport> report;
        lock (_gate)
        {
            if (_report is null || (_report.IsCompleted && clock.GetUtcNow() - _madeAt >= Freshness))
            {
                // each check has its own timeout (HealthEndpoints), so a report always completes
                _report = checks.CheckHealthAsync(c => c.Tags.Contains(HealthEndpoints.ReadyTag), CancellationToken.None);
                _madeAt = clock.GetUtcNow();
            }
            report = _report;
        }
        return report.WaitAsync(cancellationToken);
    }
}
