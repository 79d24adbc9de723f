using HybridBuild.BuildKit.Client.Protocol.Secrets;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Secrets for <c>RUN --mount=type=secret</c>; an unknown ID is NotFound, which the daemon reports as missing.</summary>
internal sealed class SecretsService : Secrets.SecretsBase
{
    public override Task<GetSecretResponse> GetSecret(GetSecretRequest request, ServerCallContext context)
    {
        var session = context.GetBuildSession();
        if (!session.Secrets.TryGetValue(request.ID, out var data))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"secret {request.ID} not found"));
        }

        return Task.FromResult(new GetSecretResponse { Data = ByteString.CopyFrom(data) });
    }
}
