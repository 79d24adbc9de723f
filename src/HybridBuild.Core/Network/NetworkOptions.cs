namespace HybridBuild.Core.Network;

/// <summary>
/// "Network": where the service may reach out to on a request's behalf (git sources, publish targets).
/// Link-local and cloud metadata addresses are refused unless an entry here names them explicitly.
/// </summary>
public sealed record NetworkOptions
{
    public const string Section = "Network";

    /// <summary>
    /// When not empty, the only hosts reachable: host names (<c>git.example.com</c>), wildcards (<c>*.example.com</c>),
    /// addresses (<c>10.0.0.5</c>) or CIDR ranges (<c>10.0.0.0/8</c>).
    /// </summary>
    public List<string> AllowedHosts { get; init; } = [];
}
