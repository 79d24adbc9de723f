using System.Collections.Concurrent;
using System.Security.Cryptography;
using Npgsql;

namespace HybridBuild.Application.Builders;

/// <summary>What this node last learned of a builder: up or down, why, the platforms it builds, and when it was checked.</summary>
public sealed record BuilderState(string Name, bool Up, string Description, IReadOnlyList<string> Platforms, int MaxSolves, DateTimeOffset? CheckedAt)
{
    /// <summary>What the engine reported besides (versions, image store); empty when it did not answer.</summary>
    public IReadOnlyDictionary<string, object> Data { get; init; } = new Dictionary<string, object>();
}

/// <summary>
/// Places solves on the builders of the pool. A stage goes to a builder that is up and builds its platforms (any up
/// builder when none claims them: BuildKit builds scratch images such as wasi/wasm anywhere), least loaded first.
/// A builder's solves are counted across every node by PostgreSQL advisory locks, one per slot (a builder with
/// MaxSolves 4 has four): a lease holds one on its own connection, so a node that dies gives its slots back with its
/// connection. A builder that stops answering is marked down until its next check answers.
/// </summary>
internal sealed partial class BuilderPool(IBuilders builders, IDbContextFactory<BuildDbContext> contexts, TimeProvider clock, ILogger<BuilderPool> logger)
{
    private static readonly TimeSpan WaitStep = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, BuilderState> _states = new(StringComparer.Ordinal);

    public IReadOnlyList<Builder> All => builders.All;

    /// <summary>Several builders: placement, slots and re-runs matter. One unlimited builder (no pool configured) is simply used.</summary>
    private bool Pooled => builders.All is not [{ MaxSolves: int.MaxValue }];

    public IReadOnlyList<BuilderState> States() => [.. builders.All.Select(StateOf)];

    private BuilderState StateOf(Builder builder) =>
        _states.GetValueOrDefault(builder.Name) ?? new BuilderState(builder.Name, true, "not checked yet", builder.Platforms, builder.MaxSolves, null);

    /// <summary>Asks a builder's daemon whether it answers, and what it builds.</summary>
    public async Task<BuilderState> CheckAsync(Builder builder, CancellationToken cancellationToken)
    {
        BuilderState state;
        try
        {
            var status = await builder.Engine.CheckAsync(cancellationToken);
            state = new BuilderState(builder.Name, status.Ready, status.Description,
                builder.Platforms.Count > 0 ? builder.Platforms : status.Platforms, builder.MaxSolves, clock.GetUtcNow()) { Data = status.Data };
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            state = new BuilderState(builder.Name, false, $"the {builder.Engine.Name} engine does not answer: {e.Message}", StateOf(builder).Platforms,
                builder.MaxSolves, clock.GetUtcNow());
        }
        var previous = _states.GetValueOrDefault(builder.Name);
        _states[builder.Name] = state;
        if (previous is not null && previous.Up != state.Up)
        {
            if (state.Up) LogUp(builder.Name, state.Description);
            else LogDown(builder.Name, state.Description);
        }
        return state;
    }

    /// <summary>A solve found the builder unreachable: it takes no more solves here until a check finds it answering.</summary>
    public void MarkDown(string name, string reason)
    {
        if (builders.All.FirstOrDefault(b => b.Name == name) is not { } builder) return;
        _states[name] = StateOf(builder) with { Up = false, Description = reason, CheckedAt = clock.GetUtcNow() };
        LogDown(name, reason);
    }

    /// <summary>
    /// A slot on the best builder for <paramref name="platforms"/> that is not in <paramref name="tried"/>, waiting while
    /// all of them are full as <paramref name="wait"/> allows; null when every builder has been tried. Down builders are
    /// used only when none is up.
    /// </summary>
    public async Task<BuilderLease?> AcquireAsync(IReadOnlyList<string> platforms, IReadOnlySet<string> tried, BuilderWait wait, CancellationToken cancellationToken)
    {
        var open = builders.All.Where(b => !tried.Contains(b.Name)).ToList();
        if (open.Count == 0) return null;
        if (!Pooled) return new BuilderLease(open[0], null);

        var connection = new NpgsqlConnection(ConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            var waited = false;
            while (true)
            {
                var candidates = Candidates(open, platforms);
                var load = await LoadAsync(connection, candidates, cancellationToken);
                foreach (var builder in candidates.OrderBy(b => b.Name == wait.Avoid)
                    .ThenBy(b => load.GetValueOrDefault(SlotKey(b.Name)) / (double)b.MaxSolves))
                {
                    for (var slot = 0; slot < builder.MaxSolves; slot++)
                    {
                        if (!await TryLockAsync(connection, SlotKey(builder.Name), slot, cancellationToken)) continue;
                        var lease = new BuilderLease(builder, connection);
                        connection = null; // the lease holds it now
                        return lease;
                    }
                }
                if (clock.GetUtcNow() >= wait.Until)
                    throw new NoBuilderRoomException($"every builder for the stage stayed busy ({Busy(candidates)})");
                if (!waited) wait.Note($"every builder for this stage is busy ({Busy(candidates)}); waiting for room");
                waited = true;
                wait.Waiting();
                await Task.Delay(WaitStep, clock, cancellationToken);
            }
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    private static string Busy(List<Builder> candidates) => string.Join(", ", candidates.Select(b => $"{b.Name}: {b.MaxSolves} solves"));

    /// <summary>Up builders that build the platforms; else any up builder; else (none is up) the down ones, which may be back.</summary>
    private List<Builder> Candidates(List<Builder> open, IReadOnlyList<string> platforms)
    {
        var up = open.Where(b => StateOf(b).Up).ToList();
        if (up.Count == 0) return open;
        var building = up.Where(b => platforms.All(p => StateOf(b).Platforms.Contains(p, StringComparer.OrdinalIgnoreCase))).ToList();
        return building.Count > 0 ? building : up;
    }

    /// <summary>Held slots per builder key, on every node (advisory locks of this database with two keys).</summary>
    private static async Task<Dictionary<int, int>> LoadAsync(NpgsqlConnection connection, List<Builder> candidates, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT classid::bigint, count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted "
            + "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid::bigint = ANY(@keys) GROUP BY classid", connection);
        command.Parameters.AddWithValue("keys", candidates.Select(b => (long)SlotKey(b.Name)).ToArray());
        var load = new Dictionary<int, int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) load[(int)reader.GetInt64(0)] = (int)reader.GetInt64(1);
        return load;
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, int key, int slot, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key, @slot)", connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("slot", slot);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>A non-negative key per builder name, the same on every node.</summary>
    internal static int SlotKey(string name) =>
        BitConverter.ToInt32(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("hybridbuild-builder:" + name))) & int.MaxValue;

    private string ConnectionString()
    {
        using var db = contexts.CreateDbContext();
        return db.Database.GetConnectionString()!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Builder {Builder} is down: {Reason}; it takes no solves until it answers again")]
    private partial void LogDown(string builder, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Builder {Builder} is up again: {Description}")]
    private partial void LogUp(string builder, string description);
}

/// <summary>A slot on one builder, held until disposed (its connection's advisory lock); none for the single unlimited builder.</summary>
internal sealed class BuilderLease(Builder builder, NpgsqlConnection? slot) : IAsyncDisposable
{
    public Builder Builder => builder;

    public async ValueTask DisposeAsync()
    {
        if (slot is not null) await slot.DisposeAsync(); // closing the connection gives the slot back
    }
}

/// <summary>
/// How a stage waits while every builder is full: what it tells its log, until when it may wait (its queue TTL; null:
/// as long as it takes), and what it does at each step of the wait (the stage job holds off its timeout).
/// <see cref="Avoid"/> names a builder to take only when no other with room can (a reproduction, away from the first run's).
/// </summary>
internal sealed record BuilderWait(Action<string> Note, DateTimeOffset? Until, Action Waiting)
{
    public string? Avoid { get; init; }
}

/// <summary>A stage waited for room on a builder past the time it may wait (its queue TTL).</summary>
internal sealed class NoBuilderRoomException(string message) : Exception(message);
