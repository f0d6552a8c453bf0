using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace StChat.Server.Commands;

// Runs a built host until SIGTERM or Ctrl-C and turns how it ended into the exit code: 0 for a clean stop, 1 with a
// logged reason for invalid configuration, a server that cannot be reached at start, a port that cannot be bound, a TLS
// certificate that cannot be opened, or a worker that failed (JetStream refused the stream settings, say).
internal static class HostRunner
{
    // Long enough for an ingest batch in flight to commit and be acknowledged, and for chat exit events to be stored.
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(IHost host, ILogger logger, Action? started = null, string? urls = null)
    {
        var workers = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToArray();
        try
        {
            await host.StartAsync();
            started?.Invoke();
            await host.WaitForShutdownAsync();
        }
        catch (OptionsValidationException e)
        {
            logger.LogError("Invalid configuration: {Errors}", string.Join(" ", e.Failures));
            return 1;
        }
        catch (IOException e) when (urls is not null)
        {
            logger.LogError("Cannot listen on {Urls}: {Error}", urls, e.Message);
            return 1;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            logger.LogError("Could not start: {Error}", e.Message);
            return 1;
        }

        return workers.Any(w => w.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
    }
}
