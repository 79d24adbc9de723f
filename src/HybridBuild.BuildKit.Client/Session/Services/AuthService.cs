using HybridBuild.BuildKit.Client.Protocol.FileSync;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Registry credentials for the daemon's pulls and pushes; an empty answer means anonymous.</summary>
internal sealed class AuthService : Auth.AuthBase
{
    public override Task<CredentialsResponse> Credentials(CredentialsRequest request, ServerCallContext context)
    {
        var session = context.GetBuildSession();
        var credential = session.Credentials?.Invoke(request.Host);
        var response = credential is null
            ? new CredentialsResponse()
            : new CredentialsResponse { Username = credential.Username, Secret = credential.Secret };
        return Task.FromResult(response);
    }
}
