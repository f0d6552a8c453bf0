using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace StChat.Storage;

/// <summary>
/// Brings the schema up to date before the other hosted services start (hosted services start in registration
/// order, and this one is registered first). While PostgreSQL is unreachable it keeps retrying with backoff rather
/// than letting the process die, because the database and the workers are often started together.
/// </summary>
internal sealed class MigrationService(NpgsqlDataSource dataSource, ILogger<MigrationService> logger) : IHostedService
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                var applied = await Migrator.MigrateAsync(dataSource, logger, cancellationToken);
                logger.LogInformation("Schema is up to date ({Count} migrations applied now)", applied.Count);
                return;
            }
            catch (Exception e) when (PostgresFailures.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("PostgreSQL is not reachable for migrations ({Error}); retrying in {Delay}",
                    e.Message, delay);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
