using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StChat.Server.Operations;

namespace StChat.Server.Commands;

// Runs a built host until SIGTERM or Ctrl-C and turns how it ended into the exit code: 0 for a clean stop, 1 with a
// logged reason for invalid configuration, a server that cannot be reached at start, a port that cannot be bound, a TLS
// certificate that cannot be opened, or a worker that failed (JetStream refused the stream settings, say).
internal static class HostRunner
{
    // Long enough for an ingest batch in flight to commit and be acknowledged, and for chat exit events to be stored.
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Starts the host, calls <paramref name="started"/> once every feature has started (the web server listens
    /// before that: see <see cref="StartupSequence"/>), and waits for the stop.
    /// </summary>
    public static async Task<int> RunAsync(IHost host, ILogger logger, Action? started = null, string? urls = null)
    {
        var sequence = host.Services.GetService<StartupSequence>();
        var hostStarted = false;
        try
        {
            await host.StartAsync();
            hostStarted = true;
            if (await FeaturesStartedAsync(host, sequence))
            {
                started?.Invoke();
            }

            await host.WaitForShutdownAsync();
        }
        catch (Exception e) when (Reason(e, urls) is { } reason)
        {
            logger.LogError("{Reason}", reason);
            if (hostStarted)
            {
                await host.StopAsync();
            }

            return 1;
        }

        var workers = sequence?.Workers ?? [.. host.Services.GetServices<IHostedService>().OfType<BackgroundService>()];
        return workers.Any(w => w.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
    }

    // False when the process is asked to stop before start-up is done; throws the reason a feature could not start.
    private static async Task<bool> FeaturesStartedAsync(IHost host, StartupSequence? sequence)
    {
        if (sequence is null)
        {
            return true;
        }

        var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        await Task.WhenAny(sequence.Started, Task.Delay(Timeout.Infinite, stopping));
        if (sequence.Started.IsFaulted)
        {
            await sequence.Started;
        }

        return sequence.IsStarted;
    }

    private static string? Reason(Exception e, string? urls) => e switch
    {
        OptionsValidationException invalid => "Invalid configuration: " + string.Join(" ", invalid.Failures),
        IOException when urls is not null => $"Cannot listen on {urls}: {e.Message}",
        NpgsqlException or InvalidOperationException or CryptographicException => "Could not start: " + e.Message,
        _ => null,
    };
}
