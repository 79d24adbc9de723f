using System.Net.Sockets;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace HybridBuild.Data;

/// <summary>
/// Tells an outage of the build database (it cannot be reached, is shutting down or refuses connections) from every
/// other error, and lets background work wait one out instead of failing what it was doing.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>How long a client is asked to wait before it tries again (<c>Retry-After</c>).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// True when <paramref name="exception"/>, or one it wraps, says the database is unavailable rather than that the
    /// statement was wrong: a transient Npgsql error, a connection-class SQLSTATE (08…), a server shutting down or not
    /// yet accepting connections (57P01–57P03), too many connections (53300), or a socket or timeout under Npgsql.
    /// </summary>
    public static bool IsOutage(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException p:
                    return p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03" or "53300";
                case NpgsqlException { IsTransient: true }:
                case RetryLimitExceededException:
                    return true;
                case NpgsqlException { InnerException: SocketException or TimeoutException or IOException }:
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Runs <paramref name="work"/>, and again every few seconds while it fails with an outage, for at most
    /// <paramref name="outage"/>; then the last error stands. For background steps that must happen once the database
    /// is back (a stage's outcome, a log line), and are safe to repeat because each is a conditional update.
    /// </summary>
    public static async Task<T> RideOutAsync<T>(Func<CancellationToken, Task<T>> work, TimeSpan outage, Action<Exception>? onRetry, CancellationToken cancellationToken)
    {
        var giveUp = DateTimeOffset.UtcNow + outage;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work(cancellationToken);
            }
            catch (Exception e) when (IsOutage(e) && DateTimeOffset.UtcNow < giveUp && !cancellationToken.IsCancellationRequested)
            {
                onRetry?.Invoke(e);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, RetryAfter.TotalSeconds)), cancellationToken);
            }
        }
    }

    /// <inheritdoc cref="RideOutAsync{T}"/>
    public static Task RideOutAsync(Func<CancellationToken, Task> work, TimeSpan outage, Action<Exception>? onRetry, CancellationToken cancellationToken) =>
        RideOutAsync(async ct => { await work(ct); return true; }, outage, onRetry, cancellationToken);
}
