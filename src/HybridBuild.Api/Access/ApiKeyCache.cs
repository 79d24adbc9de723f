using System.Collections.Concurrent;
using HybridBuild.Application.Nodes;

namespace HybridBuild.Api.Access;

/// <summary>A valid key as authentication needs it.</summary>
internal sealed record CachedKey(Guid Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset Until);

/// <summary>
/// Valid keys by hash for a few seconds (<see cref="Lifetime"/>), so a request does not cost a database round trip.
/// A revocation evicts the key on the node that revokes it at once, and on every other node through PostgreSQL's
/// NOTIFY on <see cref="Channel"/>; while this node is not listening (start-up, a lost connection), nothing is cached.
/// </summary>
internal sealed class ApiKeyCache(TimeProvider clock)
{
    public const string Channel = "hybridbuild_key_revoked";
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, CachedKey> _keys = new(StringComparer.Ordinal);
    // a lookup that read the key just before its revocation must not cache it just after the eviction
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _revoked = new();

    /// <summary>Set by the listener: keys are cached only while revocations from other nodes can reach this one.</summary>
    public bool Listening { get; private set; }

    public CachedKey? Find(string hash) =>
        _keys.TryGetValue(hash, out var key) && key.Until > clock.GetUtcNow() ? key : null;

    public void Add(string hash, Guid id, string name, IReadOnlyList<string> scopes)
    {
        if (!Listening || _revoked.ContainsKey(id)) return;
        if (_keys.Count >= MaxEntries) _keys.Clear(); // bounded: a flood of distinct valid keys only costs lookups
        _keys[hash] = new CachedKey(id, name, scopes, clock.GetUtcNow() + Lifetime);
    }

    public void Evict(Guid id)
    {
        var now = clock.GetUtcNow();
        foreach (var (old, at) in _revoked)
            if (now - at > Lifetime) _revoked.TryRemove(old, out _);
        _revoked[id] = now;
        foreach (var (hash, key) in _keys)
            if (key.Id == id) _keys.TryRemove(hash, out _);
    }

    public void StartedListening() => Listening = true;

    public void StoppedListening()
    {
        Listening = false;
        _keys.Clear(); // a revocation may be missed while not listening
    }
}

/// <summary>Listens for revocations made on any node and evicts those keys; while it is not listening, nothing is cached.</summary>
internal sealed class KeyRevocationListener(ApiKeyCache cache, IConfiguration configuration, ILogger<KeyRevocationListener> logger)
    : NodeNotifications(ApiKeyCache.Channel, configuration, logger)
{
    protected override void OnNotification(string payload)
    {
        if (Guid.TryParse(payload, out var id)) cache.Evict(id);
    }

    protected override void OnListening() => cache.StartedListening();

    protected override void OnStopped() => cache.StoppedListening();
}
