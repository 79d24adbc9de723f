using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace HybridBuild.Core.Network;

/// <summary>
/// Decides whether the service may connect to a host a request names. Refused by default: link-local addresses
/// (169.254.0.0/16, fe80::/10) and cloud metadata endpoints, by address or by name, also when a name resolves to
/// one. With <see cref="NetworkOptions.AllowedHosts"/> set, only the listed hosts; an entry that names a refused
/// address or range explicitly re-allows it.
/// </summary>
public sealed class OutboundPolicy(IOptions<NetworkOptions> options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    private static readonly string[] MetadataNames = ["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"];
    private static readonly IPAddress[] MetadataAddresses =
        [IPAddress.Parse("169.254.169.254"), IPAddress.Parse("fd00:ec2::254"), IPAddress.Parse("100.100.100.200"), IPAddress.Parse("169.254.170.2")];

    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));

    /// <summary>Null when the host may be reached, else why not (for a problem's detail or a stage's error).</summary>
    public async Task<string?> CheckAsync(string host, CancellationToken cancellationToken) =>
        (await ResolveAsync(host, cancellationToken)).Refused;

    /// <summary>
    /// The addresses <paramref name="host"/> resolves to now, each allowed by the policy, or why it may not be reached.
    /// A connection made to these addresses (rather than to the name again) reaches what was checked: a name that
    /// resolves to an allowed address for the check and to a refused one a moment later (DNS rebinding) cannot slip past.
    /// An unresolvable name is allowed with no addresses: the connection then fails with its own message.
    /// </summary>
    public async Task<CheckedHost> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        host = host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.').ToLowerInvariant();
        if (host.Length == 0) return CheckedHost.Refuse("has no host");
        var allowed = options.Value.AllowedHosts;
        var literal = IPAddress.TryParse(host, out var address) ? Normalize(address) : null;
        if (allowed.Count > 0 && !allowed.Any(entry => Matches(entry, host, literal)))
            return CheckedHost.Refuse($"names host '{host}', which is not in Network:AllowedHosts");
        if (literal is null && MetadataNames.Contains(host) && !ExplicitlyAllowed(host, null))
            return CheckedHost.Refuse($"names '{host}', a cloud metadata endpoint; the service does not reach those");

        IPAddress[] addresses;
        if (literal is not null) addresses = [literal];
        else
        {
            try { addresses = await _resolve(host, cancellationToken); }
            catch (SocketException) { return new CheckedHost([], null); } // unresolvable: the fetch fails with its own message
            catch (ArgumentException) { return CheckedHost.Refuse($"names host '{host}', which is not a valid host name"); } // e.g. longer than 255 characters
        }
        addresses = [.. addresses.Select(Normalize).Distinct()];
        foreach (var candidate in addresses)
            if (Refused(candidate) is { } why && !ExplicitlyAllowed(host, candidate))
                return CheckedHost.Refuse(literal is null ? $"names host '{host}', which resolves to {candidate}, {why}" : $"names {candidate}, {why}");
        return new CheckedHost(addresses, null);
    }

    /// <summary>
    /// A TCP connection to <paramref name="endpoint"/> through the policy, for <see cref="System.Net.Http.SocketsHttpHandler.ConnectCallback"/>:
    /// the name is resolved and checked here, at connect time, and the socket goes to the checked addresses.
    /// </summary>
    /// <exception cref="HttpRequestException">The policy refuses the host, or it does not resolve.</exception>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var host = await ResolveAsync(endpoint.Host, cancellationToken);
        if (host.Refused is { } refused) throw new HttpRequestException($"The outbound policy refuses the connection: the URL {refused}.");
        if (host.Addresses.Count == 0) throw new HttpRequestException($"The host '{endpoint.Host}' does not resolve.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync([.. host.Addresses], endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string? Refused(IPAddress address)
    {
        if (MetadataAddresses.Any(m => m.Equals(address))) return "a cloud metadata address";
        if (address.IsIPv6LinkLocal) return "a link-local address";
        var bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork && bytes[0] == 169 && bytes[1] == 254) return "a link-local address";
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return "an unspecified address";
        return null;
    }

    /// <summary>Only an allow-list entry that names the address, a range holding it, or the exact host name re-allows a refused target.</summary>
    private bool ExplicitlyAllowed(string host, IPAddress? address) =>
        options.Value.AllowedHosts.Any(entry => !entry.Contains('*') && Matches(entry, host, address));

    private static bool Matches(string entry, string host, IPAddress? address)
    {
        entry = entry.Trim().ToLowerInvariant();
        if (entry.Contains('/'))
            return address is not null && IPNetwork.TryParse(entry, out var network) && network.Contains(address);
        if (IPAddress.TryParse(entry.Trim('[', ']'), out var listed)) return address is not null && Normalize(listed).Equals(address);
        if (entry.StartsWith("*.", StringComparison.Ordinal)) return host.EndsWith(entry[1..], StringComparison.Ordinal);
        return host == entry;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>What the policy made of a host: the addresses it resolved to, all allowed, or why it is refused.</summary>
public sealed record CheckedHost(IReadOnlyList<IPAddress> Addresses, string? Refused)
{
    public static CheckedHost Refuse(string why) => new([], why);
}
