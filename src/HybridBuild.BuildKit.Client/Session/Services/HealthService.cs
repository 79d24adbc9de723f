using HybridBuild.BuildKit.Client.Protocol.Health;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>
/// Answers the daemon's liveness probe. It needs no session and does no work: the daemon kills the session after a
/// missed answer, even while a large transfer shares the connection.
/// </summary>
internal sealed class HealthService : Health.HealthBase
{
    private static readonly Task<HealthCheckResponse> Serving =
        Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });

    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) => Serving;
}
