using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace HybridBuild.Application.Nodes;

/// <summary>
/// Listens on one PostgreSQL NOTIFY channel for what other nodes tell this one, and reconnects after an outage
/// (every 2 s). A listener knows when it is not listening (<see cref="OnStopped"/>), so it can fall back to what it
/// would have been told: notifications are fast paths, never the only way.
/// </summary>
public abstract partial class NodeNotifications(string channel, IConfiguration configuration, ILogger logger) : BackgroundService
{
    private bool _listening;

    /// <summary>Tells every listening node, this one included; inside a transaction, on its commit.</summary>
    public static Task NotifyAsync(DbContext db, string channel, string payload, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({channel}, {payload})", cancellationToken);

    protected abstract void OnNotification(string payload);

    protected virtual void OnListening() { }

    protected virtual void OnStopped() { }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(Data.DataServiceCollectionExtensions.ConnectionString(configuration));
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                _listening = true;
                OnListening();
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (_listening) LogLost(logger, channel, e.Message);
                Stop();
                try { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); } catch (OperationCanceledException) { return; }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                Stop();
            }
        }
    }

    private void Stop()
    {
        _listening = false;
        OnStopped();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped listening on {Channel} ({Reason}); listening again once the database answers")]
    private static partial void LogLost(ILogger logger, string channel, string reason);
}
