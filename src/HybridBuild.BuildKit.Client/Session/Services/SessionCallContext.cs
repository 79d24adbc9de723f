using HybridBuild.BuildKit.Client.Session.Hosting;
using Microsoft.AspNetCore.Connections.Features;

namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>Finds the build session a call belongs to: it rides on the connection (the tunnel), not on the call.</summary>
internal static class SessionCallContext
{
    /// <summary>The call's session; a connection without one is refused, whatever host it arrived on.</summary>
    public static BuildSession GetBuildSession(this ServerCallContext context)
    {
        var items = context.GetHttpContext().Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is not null && items.TryGetValue(TunnelConnection.SessionItem, out var value) && value is BuildSession session)
        {
            return session;
        }

        throw new RpcException(new Status(StatusCode.PermissionDenied, "This connection carries no build session."));
    }
}
