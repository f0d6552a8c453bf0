using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StChat.Storage;

namespace StChat.Server.Commands;

internal static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args })
            .ConfigureStChat(args);
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StChat.Migrate");

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        try
        {
            var connectionString = PostgresConnectionString.Get(builder.Configuration);
            var applied = await Migrator.MigrateAsync(connectionString, logger, cts.Token);
            logger.LogInformation("Schema is up to date; {Count} migration(s) applied now", applied.Count);
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or Npgsql.NpgsqlException)
        {
            logger.LogError("Migration failed: {Error}", e.Message);
            return 1;
        }
    }
}
